"""The "learn" pages: short educational pages kept as Markdown in tracker/content/.

Each file starts with a header read by Python-Markdown's ``meta`` extension:

    Title: What is peripheral neuropathy?
    Summary: One or two plain sentences for the index and the side panels.
    Slug: peripheral-neuropathy          (must equal the file name)
    Reviewed: 2026-11-21                 (ISO date of the last clinical review)
    Symptoms: pain                       (symptoms.py names, comma-separated; may be empty)
    Audience: patients                   (patients or practitioners)
    Related: evidence, safety            (slugs, linked at the end of the page)
    Order: 1                             (position in the list at /learn/)

The rules' numbers are never typed: a page writes ``{RECENT_DAYS}`` for a key of
``scores.FIGURES`` and the loader fills in the value before rendering, so a page says what
the code does. Only ``{UPPER_CASE_NAME}`` is a placeholder (Markdown's ``{: .class}`` and
``{#id}`` are left alone); an unknown name is a ValueError that names the file.

The body cites sources as plain bracketed numbers, ``[1]``; each becomes a link to
``#ref-1``. The body ends with a ``## References`` heading and a numbered list; each
item gets ``id="ref-N"`` and must carry a DOI, PubMed or PubMed Central link.

Translations live beside the English pages, one folder per language code:
``tracker/content/es/evidence.md``, ``tracker/content/zh-hans/evidence.md``. A translation
keeps the English header's Slug, Symptoms, Audience, Related, Order and Reviewed, translates
Title, Summary and the body, and copies the References list unchanged under the heading of
``REFERENCES_HEADINGS`` for its language. The functions below follow the active language
(``django.utils.translation.get_language()``); a page not yet translated is the English one
with ``fallback=True``.

Pages are read and rendered once per process and language (``functools.cache``): restart the
server after editing content. Raw HTML in the Markdown is switched off, so the
rendered body is marked safe here and templates print ``{{ page.html }}`` as is.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import math
import re
import xml.etree.ElementTree as etree
from pathlib import Path

import markdown
from django.conf import settings
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from tracker import scores, symptoms

CONTENT_DIR = Path(__file__).resolve().parent / "content"
AUDIENCES = ("patients", "practitioners")
HEADER_KEYS = ("title", "summary", "slug", "reviewed", "symptoms", "audience", "related", "order")
ENGLISH = "en"
REFERENCES_HEADING = "References"
# The References heading of each language's pages; the list under it stays in English.
REFERENCES_HEADINGS = {ENGLISH: REFERENCES_HEADING, "es": "Referencias", "zh-hans": "参考文献"}
# Language codes that name the same content folder ("zh-cn" is Simplified Chinese).
LANGUAGE_ALIASES = {"zh-cn": "zh-hans", "zh-sg": "zh-hans", "zh-my": "zh-hans"}
WORDS_PER_MINUTE = 200
CHARACTERS_PER_MINUTE = 300  # Chinese is read by the character, not by the spaced word
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_PUNCTUATION_RE = re.compile(r"[\u3000-\u303f\uff00-\uffef]")

# Pages shown in the "What this means" panel beside each chart.
PANEL_HISTORY = ("tracking-your-symptoms", "how-your-numbers-are-worked-out", "safety", "evidence")
PANEL_PRACTICE = ("tracking-your-symptoms", "how-your-numbers-are-worked-out", "evidence", "safety")

CITATION_RE = r"\[(\d+(?:,\s*\d+)*)\]"
PLACEHOLDER_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


@dataclasses.dataclass(frozen=True)
class Reference:
    number: int
    text: str
    url: str


@dataclasses.dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    reviewed: datetime.date
    symptoms: tuple[str, ...]
    audience: str
    related: tuple[str, ...]
    order: int
    html: SafeString
    text: str  # prose of the body (paragraphs and list items), without references
    references: tuple[Reference, ...]
    citations: tuple[int, ...]  # reference numbers cited in the body, in order of use
    language: str = ENGLISH  # the content folder the page was read from
    fallback: bool = False  # True: the English page, shown because no translation exists yet

    @property
    def reading_minutes(self) -> int:
        characters = len(CJK_RE.findall(self.text))
        words = len(CJK_PUNCTUATION_RE.sub(" ", CJK_RE.sub(" ", self.text)).split())
        minutes = words / WORDS_PER_MINUTE + characters / CHARACTERS_PER_MINUTE
        return max(1, math.ceil(minutes))


class _CitationProcessor(InlineProcessor):
    """``[1]`` or ``[1, 2]`` -> ``[<a href="#ref-1">1</a>, <a href="#ref-2">2</a>]``."""

    def handleMatch(self, m, data):
        span = etree.Element("span", {"class": "citation"})
        span.text = "["
        numbers = [int(n) for n in m.group(1).split(",")]
        for i, number in enumerate(numbers):
            link = etree.SubElement(
                span, "a", {"href": f"#ref-{number}", "aria-label": f"Reference {number}"}
            )
            link.text = str(number)
            link.tail = ", " if i < len(numbers) - 1 else "]"
        return span, m.start(0), m.end(0)


class _ReferencesProcessor(Treeprocessor):
    """Give each item of the References list an id; collect references, citations and prose."""

    def run(self, root):
        children = list(root)
        heading = next(
            (
                i
                for i, el in enumerate(children)
                if el.tag == "h2" and "".join(el.itertext()).strip() in self.md.learn_headings
            ),
            None,
        )
        body = children if heading is None else children[:heading]
        if heading is not None:
            heading_el = children[heading]
            heading_el.set("id", "references")
            refs = children[heading + 1] if heading + 1 < len(children) else None
            if refs is None or refs.tag != "ol":
                raise ValueError("the References heading must be followed by a numbered list")
            refs.set("class", "references text-break")  # long DOIs wrap on small screens
            start = int(refs.get("start", 1))
            for number, item in enumerate(refs.findall("li"), start=start):
                item.set("id", f"ref-{number}")
                link = item.find(".//a")
                self.md.learn_references.append(
                    Reference(
                        number=number,
                        text=" ".join("".join(item.itertext()).split()),
                        url=link.get("href", "") if link is not None else "",
                    )
                )
        self.md.learn_citations = [
            int(a.get("href")[len("#ref-") :])
            for block in body
            for a in block.iter("a")
            if a.get("href", "").startswith("#ref-")
        ]
        self.md.learn_text = "\n".join(_prose(body))


def _prose(blocks):
    """Paragraphs and list items as sentences: each block ends with a full stop."""
    for block in blocks:
        for el in block.iter():
            if el.tag == "p" or (el.tag == "li" and el.find("p") is None):
                text = " ".join("".join(el.itertext()).split())
                text = re.sub(r"\s*" + CITATION_RE, "", text).strip()
                if not text:
                    continue
                stop = "。" if CJK_RE.search(text) else "."
                if text[-1] in ":：":
                    text = text[:-1] + stop
                elif text[-1] not in ".!?。！？":
                    text += stop
                yield text


class _LearnExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(_CitationProcessor(CITATION_RE, md), "citation", 175)
        md.treeprocessors.register(_ReferencesProcessor(md), "learn_references", 15)


def _render(source: str, language: str = ENGLISH) -> tuple[dict, str, markdown.Markdown]:
    md = markdown.Markdown(extensions=["meta", "sane_lists", "attr_list", _LearnExtension()])
    md.learn_headings = {REFERENCES_HEADING, REFERENCES_HEADINGS.get(language, REFERENCES_HEADING)}
    md.learn_citations = []
    md.learn_references = []
    md.learn_text = ""
    html = md.convert(source)
    return md.Meta, html, md


def fill_figures(source: str, name: str) -> str:
    """Replace each ``{NAME}`` by ``scores.FIGURES[NAME]``; an unknown NAME is a ValueError."""

    def figure(match):
        try:
            return scores.FIGURES[match.group(1)]
        except KeyError:
            raise ValueError(f"{name}: unknown placeholder {match.group(0)}") from None

    return PLACEHOLDER_RE.sub(figure, source)


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def parse(path: Path, language: str = ENGLISH) -> Page:
    """Read one content file. Raises ValueError when the header is incomplete or wrong."""
    source = fill_figures(path.read_text(encoding="utf-8"), path.name)
    meta, html, md = _render(source, language)
    missing = [key for key in HEADER_KEYS if key not in meta]
    if missing:
        raise ValueError(f"{path.name}: header lacks {', '.join(missing)}")
    field = {key: " ".join(meta[key]).strip() for key in HEADER_KEYS}
    page = Page(
        slug=field["slug"],
        title=field["title"],
        summary=field["summary"],
        reviewed=datetime.date.fromisoformat(field["reviewed"]),
        symptoms=_split(field["symptoms"]),
        audience=field["audience"],
        related=_split(field["related"]),
        order=int(field["order"]),
        html=mark_safe(html),  # our own content, with raw HTML switched off
        text=md.learn_text,
        references=tuple(md.learn_references),
        citations=tuple(md.learn_citations),
        language=language,
    )
    if page.slug != path.stem:
        raise ValueError(f"{path.name}: slug {page.slug!r} differs from the file name")
    if not page.title or not page.summary:
        raise ValueError(f"{path.name}: title and summary must not be empty")
    if unknown := set(page.symptoms) - set(symptoms.NAMES):
        raise ValueError(f"{path.name}: unknown symptoms {sorted(unknown)}")
    if page.audience not in AUDIENCES:
        raise ValueError(f"{path.name}: audience must be one of {AUDIENCES}")
    return page


def translations() -> tuple[str, ...]:
    """Language codes that have a content folder, e.g. ("es", "zh-hans")."""
    return tuple(sorted(path.name for path in CONTENT_DIR.iterdir() if path.is_dir()))


def _language_code(code: str | None) -> str:
    if code is None:
        code = translation.get_language() if settings.configured else None
    code = (code or ENGLISH).lower().replace("_", "-")
    return LANGUAGE_ALIASES.get(code, code)


def content_language(code: str | None = None) -> str:
    """The content folder for a language code; the active language when none is given.

    "es", "es-mx" and "es_MX" give "es"; "zh-Hans" and "zh-cn" give "zh-hans"; a language
    without a folder gives "en".
    """
    code = _language_code(code)
    available = translations()
    for candidate in (code, code.split("-")[0]):
        if candidate in available:
            return candidate
    return ENGLISH


@functools.cache
def _english() -> dict[str, Page]:
    pages = sorted((parse(p) for p in CONTENT_DIR.glob("*.md")), key=lambda p: (p.order, p.title))
    return {page.slug: page for page in pages}


@functools.cache
def _translated(language: str) -> dict[str, Page]:
    """Every English page, in the English order, in ``language`` where a translation exists.

    A page without a translation is the English one with ``fallback=True``; ``language`` ""
    (a language with no folder at all) gives every page so.
    """
    english = _english()
    folder = CONTENT_DIR / language
    found = {path.stem: path for path in folder.glob("*.md")} if language else {}
    if strays := sorted(set(found) - set(english)):
        raise ValueError(f"{folder.name}/: no English page for {', '.join(strays)}")
    return {
        slug: parse(found[slug], language)
        if slug in found
        else dataclasses.replace(page, fallback=True)
        for slug, page in english.items()
    }


def _pages(language: str | None = None) -> dict[str, Page]:
    code = _language_code(language)
    if code.split("-")[0] == ENGLISH:
        return _english()
    folder = content_language(code)
    return _translated(folder if folder != ENGLISH else "")  # "": no folder, all in English


def all_pages(language: str | None = None) -> list[Page]:
    return list(_pages(language).values())


def get_page(slug: str, language: str | None = None) -> Page | None:
    return _pages(language).get(slug)


def pages_for(topics, language: str | None = None) -> list[Page]:
    """Pages for a side panel. Topics are slugs or symptom names, in the order wanted.

    A symptom name brings every page tagged with it; duplicates are dropped.
    Unknown topics raise ValueError, so a typo in a panel constant fails loudly.
    """
    if isinstance(topics, str):
        topics = (topics,)
    pages = _pages(language)
    found: dict[str, Page] = {}
    for topic in topics:
        if topic in pages:
            matches = [pages[topic]]
        elif topic in symptoms.NAMES:
            matches = [page for page in pages.values() if topic in page.symptoms]
        else:
            raise ValueError(f"no learn page or symptom called {topic!r}")
        for page in matches:
            found.setdefault(page.slug, page)
    return list(found.values())
