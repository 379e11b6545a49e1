"""The check-in page (/log/) on a phone: Save within reach, big targets, no copy from Back.

A patient on a phone should reach the Save button within two screens, tap every
control with a numb fingertip (44 x 44 CSS px at least, WCAG 2.5.5), and not store
the same check-in twice by pressing Back after saving.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import demo_patient, nothing_more_to_ask, shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def straight_to_progress(demo):
    """The questions after a check-in have their own tests (test_reported_patient.py)."""
    nothing_more_to_ask(demo_patient())


MIN_TARGET = 44
SAVE = "Save my check-in"

# Every control in the page's main part, as the box a finger has to hit: a
# visually hidden radio or a checkbox inside a tile is hit through its label.
SMALL_TARGETS = """(min) => [...document.querySelectorAll(
    'main a, main button, main summary, main textarea, main select, main label.score-choice,'
    + ' main label.choice-tile, main input:not([type=hidden]):not(.btn-check)')]
  .filter(e => !e.closest('label.choice-tile') || e.matches('label'))
  .filter(e => e.getClientRects().length > 0)
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < min - 0.5 || r.height < min - 0.5)
  .map(([e, r]) => e.tagName + '#' + e.id + '.' + e.className + ' '
    + Math.round(r.width) + 'x' + Math.round(r.height))"""

SAVE_TOP = """(name) => {
  const button = [...document.querySelectorAll('main button')]
    .find(b => b.textContent.trim() === name);
  return button.getBoundingClientRect().top + window.scrollY;
}"""


def open_log(new_context, live_server, width, height):
    page = new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=True
    ).new_page()
    sign_in(page, live_server, "demo.patient")
    assert page.url.endswith("/log/")
    return page


def measure(page, height):
    save_top = page.evaluate(SAVE_TOP, SAVE)
    page_height = page.evaluate("document.documentElement.scrollHeight")
    print(f"save top {save_top:.0f} ({save_top / height:.2f} screens), page {page_height}")
    return save_top


def tick(page, pain, numbness, tingling):
    for name, score in (("pain", pain), ("numbness", numbness), ("tingling", tingling)):
        page.locator(f"label[for=id_{name}_{score}]").tap()


def test_save_is_within_two_screens_and_the_back_button_makes_no_copy(
    demo, new_context, live_server
):
    page = open_log(new_context, live_server, 390, 844)
    shot(page, "log-phone")
    save_top = measure(page, 844)
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    assert save_top < 2 * 844

    # Folded away, the places and the note are one tap from view, and as large.
    page.get_by_text("Where you feel it, and a note").tap()
    page.get_by_text("Left hand").tap()
    page.fill("#id_note", "Burning at night")
    page.get_by_text("Earlier").tap()
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    page.get_by_text("Now", exact=True).tap()
    tick(page, 6, 3, 2)
    before = demo_patient().entries.count()
    page.get_by_role("button", name=SAVE).tap()
    page.wait_for_url("**/history/")
    assert demo_patient().entries.count() == before + 1

    # Back draws the form afresh (no-store), with a new token; the browser puts the
    # ticks and the note back, and Save sends the same answers again.
    page.go_back()
    page.wait_for_url("**/log/")
    page.get_by_role("button", name=SAVE).tap()
    question = page.get_by_role("alert")
    assert "You saved these same answers at" in question.inner_text()
    assert "Save them again?" in question.inner_text()
    assert demo_patient().entries.count() == before + 1
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    shot(page, "log-phone-repeat-question")

    page.get_by_role("button", name="Yes, save them again").tap()
    page.wait_for_url("**/history/")
    assert demo_patient().entries.count() == before + 2


def test_the_check_in_page_on_a_small_phone(demo, new_context, live_server):
    page = open_log(new_context, live_server, 360, 640)
    measure(page, 640)  # printed, not held to two screens: 640 px is a short screen
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    shot(page, "log-phone")
