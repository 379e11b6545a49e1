"""The check-in page (/log/) on a phone: Save within reach, big targets, no copy from Back.

A patient on a phone should reach the Save button within two screens, tap every
control with a numb fingertip (44 x 44 CSS px at least, WCAG 2.5.5), and not store
the same check-in twice by pressing Back after saving.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import demo_patient, shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

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


def test_save_is_within_two_screens_and_the_back_button_makes_no_copy(
    demo, new_context, live_server
):
    page = open_log(new_context, live_server, 390, 844)
    shot(page, "log-phone")
    save_top = measure(page, 844)
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    assert save_top < 2 * 844
