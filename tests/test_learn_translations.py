"""The learn pages in Spanish and Simplified Chinese: same facts, same structure as English.

A translation is checked against its English page, never against itself: the same header
values, citations, placeholders, figures, links, headings and References list, and no English
line left behind. Content tests need no database; the view tests ask for ``db``.
"""

import collections
import re

import pytest
import textstat
from django.utils import translation
from django.utils.html import escape

from tracker import learn

LANGUAGES = ("es", "zh-hans")
ENGLISH = {page.slug: page for page in learn.all_pages(learn.ENGLISH)}
PATIENT_SLUGS = sorted(slug for slug, page in ENGLISH.items() if page.audience == "patients")
TRANSLATED = [
    (language, path)
    for language in LANGUAGES
    for path in sorted((learn.CONTENT_DIR / language).glob("*.md"))
]
IDS = [f"{language}-{path.stem}" for language, path in TRANSLATED]
SAME_HEADER = ("slug", "reviewed", "symptoms", "audience", "related", "order")

# How soon to get help: the wording of each tier, as tests/test_learn.py has it for English.
TIERS = {
    "en": {
        "emergency": r"emergency number now",
        "same day": r"help the same day",
        "soon": r"\b(doctor|team) soon\b",
    },
    "es": {
        "emergency": r"Llame ahora al número de emergencias",
        "same day": r"ayuda el mismo día",
        "soon": r"pronto a su (médico|equipo de oncología)",
    },
    "zh-hans": {
        "emergency": r"立即拨打急救电话",
        "same day": r"当天就要寻求帮助",
        "soon": r"尽快(去看医生|告诉您的肿瘤治疗团队)",
    },
}
# Each warning sign, as each translation words it, with the tier it belongs under (the
# English list is tests/test_learn.py's WARNING_SIGNS): one wording per sign on every page.
WARNING_SIGNS = {
    "es": {
        "señales de un ictus": "emergency",
        "dificultad para respirar, tragar o hablar": "emergency",
        "pierde de repente el control de la vejiga": "emergency",
        "no despierta en un minuto": "emergency",
        "debilidad que se extiende en horas o días": "same day",
        "rojo, caliente o hinchado": "same day",
        "un corte, una ampolla": "same day",
        "llaga en el pie que no se cura": "same day",
        "se marea, al ponerse de pie": "soon",
        "se ha desmayado": "soon",
        "latidos del corazón raros": "soon",
        "suda mucho más o mucho menos": "soon",
        "problemas de vejiga o de estómago que empeoran poco a poco": "soon",
        "nuevo o peor": "soon",
    },
    "zh-hans": {
        "中风的迹象": "emergency",
        "呼吸、吞咽或说话有困难": "emergency",
        "突然控制不住小便或大便": "emergency",
        "一分钟内没有醒来": "emergency",
        "不断扩散的无力": "same day",
        "发红、发热或肿胀": "same day",
        "新出现的伤口、水疱": "same day",
        "一直不愈合的溃疡": "same day",
        "站起来时感到要晕倒或头晕": "soon",
        "您晕倒过": "soon",
        "心跳不正常": "soon",
        "出汗比以前多很多或少很多": "soon",
        "小便或肠胃的问题在慢慢加重": "soon",
        "新出现的或加重了": "soon",
    },
}
# The 0-10 anchor words, in order: none, mild, moderate, severe. Spanish "intenso" rather
# than "severo" (an anglicism) or "grave" (which says how dangerous an illness is, not how
# strong a feeling is); it is the word Spanish pain scales use for the top band.
ANCHORS = {
    "en": ("none", "mild", "moderate", "severe"),
    "es": ("nada", "leve", "moderado", "intenso"),
    "zh-hans": ("无", "轻度", "中度", "重度"),
}
SEVERE = {"en": r"\bsevere\b", "es": r"\bintens[oa]s?\b", "zh-hans": r"重度"}
ENGLISH_WORD = re.compile(r"\b[A-Za-z']{3,}\b")
MIN_SPANISH_READING_EASE = 65  # Fernández Huerta, Flesch's scale refitted for Spanish


def source(path):
    return path.read_text(encoding="utf-8")


def header_and_body(path):
    header, body = source(path).split("\n\n", 1)
    return header, body


def body_before_references(path, language):
    body = header_and_body(path)[1]
    heading = f"\n## {learn.REFERENCES_HEADINGS[language]}\n"
    assert heading in body, f"{path}: no {heading.strip()!r} heading"
    return body.split(heading, 1)


def english_path(path):
    return learn.CONTENT_DIR / path.name


def translated(language, path):
    return learn.get_page(path.stem, language)


def numbers(text):
    """The figures a text states, thousands separators removed: "10,000" and "10 000" agree."""
    text = re.sub(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}(?!\d))", "", text)
    return sorted(re.findall(r"\d+(?:\.\d+)?", text))


def headings(body):
    return [len(m.group(1)) for m in re.finditer(r"^(#+)\s", body, re.MULTILINE)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_patient_page_is_translated(language):
    folder = learn.CONTENT_DIR / language
    missing = [slug for slug in PATIENT_SLUGS if not (folder / f"{slug}.md").exists()]
    assert not missing, f"{language}: no translation of {', '.join(missing)}"


def test_the_content_folders_are_the_languages():
    assert set(learn.translations()) == set(LANGUAGES)
    assert set(learn.REFERENCES_HEADINGS) == {learn.ENGLISH, *LANGUAGES}


@pytest.mark.parametrize(("language", "path"), TRANSLATED, ids=IDS)
def test_translation_keeps_the_english_header_values(language, path):
    page, english = translated(language, path), ENGLISH[path.stem]
    assert page.language == language and not page.fallback
    for key in SAME_HEADER:
        assert getattr(page, key) == getattr(english, key), f"{path}: {key} differs"
    assert page.title != english.title
    assert page.summary != english.summary


@pytest.mark.parametrize(("language", "path"), TRANSLATED, ids=IDS)
def test_translation_cites_the_same_sources(language, path):
    page, english = translated(language, path), ENGLISH[path.stem]
    assert sorted(page.citations) == sorted(english.citations)
    assert page.references == english.references


@pytest.mark.parametrize(("language", "path"), TRANSLATED, ids=IDS)
def test_translation_copies_the_references_list_unchanged(language, path):
    references = body_before_references(path, language)[1]
    english = source(english_path(path)).split("\n## References\n", 1)[1]
    assert references == english


@pytest.mark.parametrize(("language", "path"), TRANSLATED, ids=IDS)
def test_translation_keeps_placeholders_figures_links_and_headings(language, path):
    body = body_before_references(path, language)[0]
    english = source(english_path(path)).split("\n\n", 1)[1].split("\n## References\n")[0]
    placeholders = collections.Counter(learn.PLACEHOLDER_RE.findall(body))
    assert placeholders == collections.Counter(learn.PLACEHOLDER_RE.findall(english))
    links = collections.Counter(re.findall(r"\]\((\.\./[^)]*)\)", body))
    assert links == collections.Counter(re.findall(r"\]\((\.\./[^)]*)\)", english))
    assert headings(body) == headings(english)
    page, english = translated(language, path), ENGLISH[path.stem]
    assert numbers(page.text) == numbers(english.text)
    for tag in ("<strong>", "<em>", "<li>", "<p>"):  # bold terms, labels, list items, paragraphs
        assert page.html.count(tag) == english.html.count(tag), f"{path}: {tag} count differs"


@pytest.mark.parametrize(("language", "path"), TRANSLATED, ids=IDS)
def test_translation_leaves_no_english_line_behind(language, path):
    body = body_before_references(path, language)[0]
    english = source(english_path(path)).split("\n\n", 1)[1].split("\n## References\n")[0]
    left = [
        line
        for line in (line.strip("-*#> ").strip() for line in english.splitlines())
        if len(ENGLISH_WORD.findall(line)) >= 4 and line in body  # a formula has no words
    ]
    assert not left, f"{path}: English left in the translation: {left}"


@pytest.mark.parametrize(("language", "path"), TRANSLATED, ids=IDS)
def test_translation_gives_the_same_urgency_as_often_as_the_english(language, path):
    page, english = translated(language, path), ENGLISH[path.stem]
    for tier, pattern in TIERS[language].items():
        found = len(re.findall(pattern, page.text, re.IGNORECASE))
        wanted = len(re.findall(TIERS["en"][tier], english.text, re.IGNORECASE))
        assert found == wanted, f"{path}: {tier!r} wording {found} times, English {wanted}"


@pytest.mark.parametrize(("language", "path"), TRANSLATED, ids=IDS)
def test_translation_names_the_severe_range_where_the_english_does(language, path):
    page, english = translated(language, path), ENGLISH[path.stem]
    if re.search(SEVERE["en"], english.text, re.IGNORECASE):
        assert re.search(SEVERE[language], page.text, re.IGNORECASE)


def signs_with_tiers(page, language):
    """(sign, tier) for each warning sign in the page's prose, under the last tier named."""
    tier = None
    for block in page.text.splitlines():
        named = {name for name, words in TIERS[language].items() if re.search(words, block)}
        assert len(named) <= 1, f"{page.slug}: one block names two tiers: {block!r}"
        if named:
            tier = named.pop()
        for sign in WARNING_SIGNS[language]:
            if sign in block.lower():
                yield sign, tier


@pytest.mark.parametrize(("language", "path"), TRANSLATED, ids=IDS)
def test_each_warning_sign_has_the_same_urgency_on_every_translated_page(language, path):
    for sign, tier in signs_with_tiers(translated(language, path), language):
        assert tier == WARNING_SIGNS[language][sign], f"{path}: {sign!r} is under {tier!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_translated_safety_page_lists_every_warning_sign(language):
    page = learn.get_page("safety", language)
    assert {sign for sign, _ in signs_with_tiers(page, language)} == set(WARNING_SIGNS[language])


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_the_tracking_page_uses_the_agreed_anchor_words(language):
    page = learn.get_page("tracking-your-symptoms", language)
    if page.fallback:
        pytest.skip(f"tracking-your-symptoms is not yet in {language}")
    anchor_lines = re.finditer(r"^\d[^:：\n]*[:：]\s*(\S+?)[.。]$", page.text, re.MULTILINE)
    words = tuple(m.group(1) for m in anchor_lines)
    assert words == ANCHORS[language]


@pytest.fixture
def spanish_textstat():
    textstat.set_lang("es")
    yield textstat
    textstat.set_lang("en")  # textstat's language is global: leave it as the English tests expect


@pytest.mark.parametrize(
    "path", [path for language, path in TRANSLATED if language == "es"], ids=lambda p: p.stem
)
def test_spanish_patient_pages_are_easy_to_read(spanish_textstat, path):
    page = translated("es", path)
    if page.audience != "patients":
        pytest.skip("practitioner page")
    score = spanish_textstat.fernandez_huerta(page.text)
    assert score >= MIN_SPANISH_READING_EASE, f"{path.stem}: Fernández Huerta {score:.1f}"


# Choosing the language ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "folder"),
    [
        ("es", "es"),
        ("es-mx", "es"),
        ("es_MX", "es"),
        ("zh-hans", "zh-hans"),
        ("zh-Hans", "zh-hans"),
        ("zh-cn", "zh-hans"),
        ("en-gb", "en"),
        ("fr", "en"),
        ("", "en"),
    ],
)
def test_content_language_names_the_folder(code, folder):
    assert learn.content_language(code) == folder


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_active_language_picks_the_translation(language):
    with translation.override(language):
        page = learn.get_page("safety")
        panel = learn.pages_for(learn.PANEL_HISTORY)
        index = learn.all_pages()
    assert page.language == language and page.title != ENGLISH["safety"].title
    assert [p.slug for p in panel] == list(learn.PANEL_HISTORY)
    assert {p.language for p in panel} == {language}
    assert [p.slug for p in index] == list(ENGLISH)
    assert learn.get_page("safety", language) is page  # read once per process and language


def test_an_unknown_language_shows_the_english_pages_marked_as_fallback():
    with translation.override("fr"):
        pages = learn.all_pages()
    assert [p.title for p in pages] == [p.title for p in ENGLISH.values()]
    assert all(p.fallback for p in pages)
    assert not any(p.fallback for p in ENGLISH.values())


def test_a_page_not_yet_translated_is_the_english_one_marked_as_fallback(tmp_path, monkeypatch):
    for path in learn.CONTENT_DIR.glob("*.md"):
        (tmp_path / path.name).write_text(source(path), encoding="utf-8")
    (tmp_path / "es").mkdir()
    spanish = learn.CONTENT_DIR / "es" / "safety.md"
    (tmp_path / "es" / "safety.md").write_text(source(spanish), encoding="utf-8")
    monkeypatch.setattr(learn, "CONTENT_DIR", tmp_path)
    learn._english.cache_clear()
    learn._translated.cache_clear()
    try:
        pages = {page.slug: page for page in learn.all_pages("es")}
        assert pages["safety"].language == "es" and not pages["safety"].fallback
        assert pages["evidence"].fallback and pages["evidence"] == learn.dataclasses.replace(
            ENGLISH["evidence"], fallback=True
        )
    finally:
        learn._english.cache_clear()
        learn._translated.cache_clear()


def test_a_translation_without_an_english_page_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "stray.md").write_text("Title: x\n\nx\n", encoding="utf-8")
    monkeypatch.setattr(learn, "CONTENT_DIR", tmp_path)
    learn._english.cache_clear()
    learn._translated.cache_clear()
    try:
        with pytest.raises(ValueError, match="no English page for stray"):
            learn.all_pages("es")
    finally:
        learn._english.cache_clear()
        learn._translated.cache_clear()


# Views -------------------------------------------------------------------------------
# A request's language comes from LocaleMiddleware (the browser's Accept-Language, among the
# languages offered) where it is installed; translation.override covers the views without it.


@pytest.fixture
def offered(settings):
    settings.LANGUAGES = [("en-gb", "English"), ("es", "Español"), ("zh-hans", "简体中文")]
    settings.LANGUAGES += [("fr", "Français")]  # offered, but no learn page is in French
    return settings.LANGUAGES


def get_in(client, language, url):
    with translation.override(language):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_view_page_and_index_follow_the_active_language(client, db, offered, language):
    page = learn.get_page("safety", language)
    html = get_in(client, language, "/learn/safety/")
    index = get_in(client, language, "/learn/")
    assert escape(page.title) in html
    assert 'id="references"' in html and 'id="ref-1"' in html
    assert "learn-fallback" not in html
    for other in learn.all_pages(language):
        assert escape(other.title) in index


def test_view_page_says_when_it_is_shown_in_english(client, db, offered):
    html = get_in(client, "fr", "/learn/safety/")
    assert escape(ENGLISH["safety"].title) in html
    assert "learn-fallback" in html and "not yet available in your language" in html
    assert "learn-fallback" not in client.get("/learn/safety/").content.decode()


def test_chinese_paragraphs_have_no_line_breaks_between_sentences():
    """One sentence a line reads well in the source, but a browser shows each line break
    as a space: in Chinese, a space after 。 that nobody wrote."""
    for page in learn.all_pages(language="zh-hans"):
        gaps = re.findall(r"[。！？：][ \n]+[\u4e00-\u9fff]", str(page.html))
        assert not gaps, (page.slug, gaps[:3])
