"""The chart and the score sentences in the reader's language (issue 20).

charts.py and scores.py stay free of Django: their words are English message ids and
the Django layer (tracker/templatetags/score_words.py) passes its gettext. Chinese
characters are about twice as wide as Latin ones, so the phone chart's label widths
count them twice; and no Spanish decimal comma ever reaches an SVG coordinate.
"""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import translation

from tests.conftest import LONDON, body, client_for, make_entry, make_session
from tests.test_languages import ALL
from tracker import charts, scores
from tracker.templatetags import score_words


def test_a_chinese_character_counts_twice_a_latin_one():
    assert charts.label_width("Pain") == 4 * charts.PHONE_CHAR_WIDTH
    assert charts.label_width("疼痛") == 4 * charts.PHONE_CHAR_WIDTH
    assert charts.label_width("麻刺感") == 6 * charts.PHONE_CHAR_WIDTH
    # Full-width punctuation is wide too; an accent on a Latin letter adds nothing.
    assert charts.label_width("（）") == 4 * charts.PHONE_CHAR_WIDTH
    assert charts.label_width("e\u0301") == charts.PHONE_CHAR_WIDTH
    assert charts.label_width("Entumecimiento") == 14 * charts.PHONE_CHAR_WIDTH


def test_a_chinese_label_does_not_overflow_the_phone_chart():
    # 20 Chinese characters are 40 Latin widths: more than the picture holds.
    long_label = "日期（时间为诊所所在地的时间：欧洲伦敦时区）"
    assert charts.label_width(long_label) > charts.PHONE_WIDTH - 8
    start = datetime(2026, 3, 1, tzinfo=LONDON)
    visible = {"pain": [(start, 4)], "numbness": [(start, 3)], "tingling": [(start, 2)]}
    chart = charts.phone_chart(
        visible, {}, {}, [], frozenset(), start, start + timedelta(days=7), long_label
    )
    assert chart.x_label == "Date"


def test_the_legend_makes_room_for_wide_characters():
    def widths(label):
        lane = charts.Lane("fall", label, "#000000", "diamond")
        items, _ = charts._legend(720, 0, False, False, lanes=[lane, lane], symptoms=())
        return items[1].x1 - items[0].x1

    assert widths("跌倒") == widths("Fall")  # 4 columns each
    assert widths("跌倒跌倒") > widths("Fall")


def test_the_chart_speaks_the_active_language():
    start = datetime(2026, 11, 2, 9, tzinfo=LONDON)
    series = {"pain": [(start, 4), (start + timedelta(days=1), 5)]}
    with translation.override("es"):
        chart = charts.trend_chart(
            series,
            [(start, 1)],
            start,
            start + timedelta(days=3),
            words=score_words.chart_words(),
        )
    assert chart.title.startswith("Puntuaciones de los síntomas")
    assert [s.label for s in chart.series] == ["Dolor", "Entumecimiento", "Hormigueo"]
    assert "nov" in chart.x_ticks[0].label
    english = charts.trend_chart(series, [(start, 1)], start, start + timedelta(days=3))
    assert english.title == "Symptom scores, 2 Nov 2026 to 5 Nov 2026"


def test_day_labels_follow_each_language_s_order():
    moment = datetime(2026, 11, 3, tzinfo=LONDON)
    assert charts.day_label(moment) == "3 Nov"
    with translation.override("zh-hans"):
        assert charts.day_label(moment, score_words.chart_words()) == "11月3日"


def test_the_patient_s_sentence_in_spanish_writes_a_decimal_comma():
    progress = scores.SymptomProgress(
        symptom=scores.BY_NAME["pain"],
        baseline=6.0,
        recent=4.5,
        points=-1.5,
        percent=-25.0,
        band=scores.Band.MINIMAL,
        recent_day_count=7,
    )
    english = progress.sentence
    assert english.startswith("Pain: 4.5 on average over the last 7 days, 1.5 points lower")
    with translation.override("es"):
        spanish = score_words.progress_sentence(progress)
    assert spanish.startswith("Dolor: 4,5")
    assert "1,5" in spanish


@pytest.mark.django_db
def test_the_history_chart_in_spanish_has_no_decimal_comma_in_its_drawing(alice, settings):
    settings.LANGUAGES = ALL
    alice.language = "es"
    alice.save()
    now = datetime.now(tz=LONDON)
    for days in range(1, 12):
        make_entry(alice, now - timedelta(days=days, hours=5), pain=4 + days % 3)
    make_session(alice, now - timedelta(days=4))
    client = client_for(alice.user)
    client.post("/account/language/", {"language": "es"})
    page = body(client.get("/history/?range=all"))

    assert '<html lang="es">' in page
    svgs = re.findall(r"<svg class=\"chart.*?</svg>", page, flags=re.S)
    assert svgs, "no chart on the page"
    numeric = {"x", "y", "x1", "x2", "y1", "y2", "width", "height", "dy", "font-size"}
    for svg in svgs:
        for name, value in re.findall(r'\s([\w-]+)="([^"]*)"', svg):
            if name in numeric:
                assert re.fullmatch(r"-?\d+(\.\d+)?(em)?", value), (name, value)
        # In point lists a comma only ever separates x from y.
        for value in re.findall(r'\spoints="([^"]*)"', svg):
            for pair in value.split():
                assert re.fullmatch(r"-?\d+(\.\d+)?,-?\d+(\.\d+)?", pair), pair
        # The scores in the titles are for people: there a Spanish comma is right.


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en-gb", "P / N / T"), ("es", "D / E / H"), ("zh-hans", "疼 / 麻木 / 麻刺")],
)
def test_the_symptoms_initials_tell_them_apart_in_every_language(language, expected):
    from tracker.templatetags.score_cells import symptom_initials

    with translation.override(language):
        assert symptom_initials() == expected
