"""What patients report beside the scores (issue 18), on the practitioner's patient page
in a browser: the chart's event rows and legend, the text list under it, axe, at a
phone's and a desktop's width. Screenshots go to artifacts/screenshots/.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import SCREENSHOTS, shot, sign_in
from tests.e2e.test_phone_charts import overlaps, visible_chart
from tracker.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)

LEGEND = ["Extra dose", "Medicine changed", "Fall", "Side effects"]
PARTS = {
    "chart": ".chart-wrap",
    "trend": "section[aria-labelledby=chart-heading]",
    "intervals": "section[aria-labelledby=intervals-heading]",
    "since": ".since-session",
    # Session 4's interval: a medicine change and side effects in one cell.
    "interval-row": "section[aria-labelledby=intervals-heading] tbody tr:nth-child(5)",
}


def violations(page):
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("width", [360, 1280])
def test_the_patient_page_marks_and_lists_the_events(
    demo, new_context, live_server, watch_factory, width
):
    page, problems = watch_factory(new_context(viewport={"width": width, "height": 900}))
    sign_in(page, live_server, "demo.practitioner")
    # George has every kind: doses, a change, side effects and falls (the demo's Alex
    # has no fall, so that the worklist's own journeys find him unflagged).
    patient = Patient.objects.get(user__username="george.papadopoulos")

    page.goto(f"{live_server.url}/practice/patients/{patient.public_id}/?range=all")

    chart = visible_chart(page)
    assert chart["kind"] == ("phone" if width < 576 else "desktop")
    texts = [t["text"] for t in chart["texts"]]
    for label in LEGEND:
        assert label in texts, (label, texts)
    # The legend's words sit clear of each other and inside the picture.
    boxes = [t["box"] for t in chart["texts"] if t["text"] in LEGEND]
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if overlaps(a, b)]
    assert all(chart["frame"][0] <= b[0] and b[2] <= chart["frame"][2] + 1 for b in boxes)
    markers = page.locator(
        "svg.chart-phone .chart-events path" if width < 576 else "svg.chart .chart-events path"
    )
    assert markers.count() >= 6
    listed = page.locator(".event-list li")
    assert listed.count() >= 6
    words = " ".join(listed.all_inner_texts())
    assert "Extra dose (Gabapentin)" in words
    assert "Medicine changed (Gabapentin): Stopped the lunchtime dose" in words
    assert "Fall" in words
    assert "Side effects: feeling faint" in words
    assert page.get_by_role("heading", name="Events in this period").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"scrolls sideways by {overflow}px"
    page.locator(".chart-wrap").scroll_into_view_if_needed()
    shot(page, "reported-patient-detail")
    # The parts that changed, each on its own, to look at closely.
    for part, selector in PARTS.items():
        page.locator(selector).screenshot(path=str(shot_path(f"reported-{part}-{width}.png")))
    assert not violations(page)
    assert not problems, problems


@pytest.mark.parametrize("width", [360, 1280])
def test_the_worklist_flags_a_fall_since_the_last_review(
    demo, new_context, live_server, watch_factory, width
):
    page, problems = watch_factory(new_context(viewport={"width": width, "height": 900}))
    sign_in(page, live_server, "demo.practitioner")

    page.goto(f"{live_server.url}/practice/?flag=fall")

    rows = page.locator("tbody tr").all_inner_texts()
    # George fell this week (and four weeks ago), and nobody has reviewed him since.
    assert [row.split("\n")[0] for row in rows] == ["George Papadopoulos"]
    assert all("Fall since last review" in row for row in rows)
    shot(page, "reported-worklist-fall")
    assert not violations(page)
    assert not problems, problems


def shot_path(name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


@pytest.mark.parametrize("width", [360, 1280])
def test_the_report_lists_medicines_weekly_answers_and_what_followed_each_session(
    demo, new_context, live_server, watch_factory, width
):
    page, problems = watch_factory(new_context(viewport={"width": width, "height": 900}))
    sign_in(page, live_server, "demo.practitioner")
    patient = Patient.objects.get(user__username="george.papadopoulos")

    page.goto(f"{live_server.url}/practice/patients/{patient.public_id}/report/")

    main = page.locator("main").inner_text()
    assert "Gabapentin" in main
    assert "Weekly questions" in main
    assert "Feeling faint" in main
    for part in ("report-medicines", "report-weekly", "report-sessions"):
        page.locator(f"section[aria-labelledby={part}]").screenshot(
            path=str(shot_path(f"reported-{part}-{width}.png"))
        )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"scrolls sideways by {overflow}px"
    assert not violations(page)
    assert not problems, problems


@pytest.mark.parametrize("width", [768, 1280])
def test_the_longest_flag_fits_its_filter(demo, new_context, live_server, width):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server, "demo.practitioner")
    page.goto(f"{live_server.url}/practice/?flag=fall")

    # The select's text is cut off when its content is wider than its box.
    fits = page.evaluate(
        """() => {
          const select = document.querySelector('#flag');
          const probe = document.createElement('span');
          probe.style.font = getComputedStyle(select).font;
          probe.textContent = select.options[select.selectedIndex].text;
          document.body.append(probe);
          const text = probe.getBoundingClientRect().width;
          probe.remove();
          const style = getComputedStyle(select);
          const room = select.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
          return [text, room];
        }"""
    )
    text, room = fits
    assert text <= room, fits
