"""The trend chart on a phone: every text at least 12 CSS px, no text over another.

Each page is loaded once; the window is then narrowed and widened (the drawings are
both in the page and CSS picks one, so no reload is needed). At 360 and 390 px the
phone drawing must be the one shown, at 1280 px the desktop one.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import SCREENSHOTS, demo_patient, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_WIDTHS = (360, 390)
MIN_TEXT_PX = 12

# The chart drawings wider than a speck (the desktop one on a phone is kept 1 px wide for
# screen readers), each with the rendered size and box of each of its texts.
VISIBLE_CHARTS = """() => [...document.querySelectorAll('svg.chart, svg.chart-phone')]
  .filter(svg => svg.getBoundingClientRect().width > 10)
  .map(svg => {
    const frame = svg.getBoundingClientRect();
    return {
      kind: svg.classList.contains('chart-phone') ? 'phone' : 'desktop',
      frame: [frame.left, frame.top, frame.right, frame.bottom],
      texts: [...svg.querySelectorAll('text')].map(t => {
        const m = t.getScreenCTM();
        const box = t.getBoundingClientRect();
        return {
          text: t.textContent,
          px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b),
          box: [box.left, box.top, box.right, box.bottom],
        };
      }),
    };
  })"""


def overlaps(a, b, slack=0.5):
    """Do two boxes (left, top, right, bottom) share more than a hairline?"""
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def visible_chart(page):
    charts = page.evaluate(VISIBLE_CHARTS)
    assert len(charts) == 1, [c["kind"] for c in charts]
    return charts[0]


def check_phone_chart(page, name, printed=False):
    for width in PHONE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        chart = visible_chart(page)
        assert chart["kind"] == "phone", (name, width)
        texts = chart["texts"]
        assert len(texts) >= 10, texts  # panels' names, axis numbers, dates
        smallest = min(texts, key=lambda t: t["px"])
        assert smallest["px"] >= MIN_TEXT_PX, (name, width, smallest)
        clashes = [
            (a["text"], b["text"])
            for i, a in enumerate(texts)
            for b in texts[i + 1 :]
            if overlaps(a["box"], b["box"])
        ]
        assert not clashes, (name, width, clashes)
        left, top, right, bottom = chart["frame"]
        outside = [
            t["text"]
            for t in texts
            if t["box"][0] < left - 1 or t["box"][2] > right + 1 or t["box"][1] < top - 1
        ]
        assert not outside, (name, width, outside)
        # Screen readers meet the chart once, as the desktop drawing's titled image; the
        # phone copy is no second image beside it.
        assert page.get_by_role("img", name=re.compile("^Symptom scores")).count() == 1
        assert page.locator("svg.chart-phone").locator("..").get_by_role("img").count() == 1
        if width == 360:
            # The whole pages at 360 px are shot by test_accessibility; here the chart.
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.locator("svg.chart-phone").screenshot(path=SCREENSHOTS / f"chart-{name}-360.png")
            violations = Axe().run(page).response["violations"]
            assert not violations, [(v["id"], v["help"]) for v in violations]
        if printed and width == 360:
            # Printed from a phone, the report still has the desktop drawing, at page width.
            page.emulate_media(media="print")
            assert visible_chart(page)["kind"] == "desktop", name
            page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert visible_chart(page)["kind"] == "desktop", name


def test_the_patients_chart_is_readable_on_a_phone(demo, new_context, live_server):
    page = new_context(viewport={"width": 360, "height": 800}).new_page()
    sign_in(page, live_server, "demo.patient")
    page.goto(f"{live_server.url}/history/")
    check_phone_chart(page, "history")


def test_the_practitioners_charts_are_readable_on_a_phone(demo, new_context, live_server):
    page = new_context(viewport={"width": 360, "height": 800}).new_page()
    sign_in(page, live_server, "demo.practitioner")
    base = f"{live_server.url}/practice/patients/{demo_patient().public_id}"
    page.goto(f"{base}/")
    check_phone_chart(page, "patient-detail")
    page.goto(f"{base}/report/")
    check_phone_chart(page, "report", printed=True)
