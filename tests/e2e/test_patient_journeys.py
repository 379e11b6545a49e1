"""The patient's journeys in a real browser: tap, keyboard, errors, double submit, privacy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import demo_patient, nothing_more_to_ask, shot, sign_in
from tracker.models import Patient, SymptomEntry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def straight_to_progress(demo):
    """The questions after a check-in have their own tests (test_reported_patient.py)."""
    nothing_more_to_ask(demo_patient())


PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}


def test_a_patient_checks_in_by_tapping_on_a_phone(demo, new_context, live_server):
    page = new_context(**PHONE).new_page()
    sign_in(page, live_server, "demo.patient")
    assert page.url.endswith("/log/")
    before = demo_patient().entries.count()

    page.locator("label[for=id_pain_6]").tap()
    page.locator("label[for=id_numbness_3]").tap()
    page.locator("label[for=id_tingling_0]").tap()
    page.get_by_text("Where you feel it, and a note").tap()  # folded away on a blank form
    page.get_by_text("Left hand").tap()
    shot(page, "log-tapped")
    page.get_by_role("button", name="Save my check-in").tap()

    page.wait_for_url("**/history/")
    assert "Saved. Pain 6" in page.locator(".alert").first.inner_text()
    assert demo_patient().entries.count() == before + 1
    newest = page.locator(".entry").first.inner_text()
    assert "Pain 6" in newest and "Numbness 3" in newest and "Left hand" in newest
    assert page.locator("svg.chart").count() == 1
    shot(page, "history-after-check-in")


FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  const shown = (node) => {
    if (!node) return false;
    const s = getComputedStyle(node);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  };
  // Visually hidden radios show their focus on the label that follows them.
  if (el.classList.contains('btn-check')) return shown(el.nextElementSibling);
  if (el.closest('.choice-tile')) return shown(el.closest('.choice-tile')) || shown(el);
  return shown(el);
}"""


def tab_to(page, test, limit=60):
    """Press Tab until `test` holds, checking at every stop that focus can be seen."""
    for _ in range(limit):
        if page.evaluate(test):
            return
        page.keyboard.press("Tab")
        # Past the last link, focus leaves the page (the body) before wrapping round.
        if page.evaluate("document.activeElement !== document.body"):
            assert page.evaluate(FOCUS_VISIBLE), page.evaluate("document.activeElement.outerHTML")
    raise AssertionError(f"never reached {test}")


def test_a_patient_checks_in_with_the_keyboard_only(demo, new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, "document.activeElement.id === 'id_username'")  # it has autofocus
    page.keyboard.type("demo.patient")
    page.keyboard.press("Tab")
    page.keyboard.type("neuropathy-demo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/log/")
    before = demo_patient().entries.count()

    # Into each scale with Tab; Space picks the focused choice, arrows move along it.
    for name, steps in (("pain", 4), ("numbness", 2), ("tingling", 7)):
        tab_to(page, f"document.activeElement.name === '{name}'")
        page.keyboard.press("Space")
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
        assert page.evaluate(FOCUS_VISIBLE)
    tab_to(page, "document.activeElement.textContent.includes('Save my check-in')")
    page.keyboard.press("Enter")

    page.wait_for_url("**/history/")
    entry = demo_patient().entries.order_by("-created_at").first()
    assert (entry.pain, entry.numbness, entry.tingling) == (4, 2, 7)
    assert demo_patient().entries.count() == before + 1


def test_a_future_time_is_refused_at_the_field_and_answers_are_kept(demo, new_context, live_server):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    sign_in(page, live_server, "demo.patient")
    before = SymptomEntry.objects.count()
    page.locator("label[for=id_pain_5]").click()
    page.locator("label[for=id_numbness_4]").click()
    page.locator("label[for=id_tingling_2]").click()
    page.get_by_label("Earlier").check()
    future = timezone.localtime() + timedelta(days=1)
    page.fill("#id_recorded_at", future.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_text("Where you feel it, and a note").click()  # folded away on a blank form
    page.fill("#id_note", "Burning at night")
    page.get_by_role("button", name="Save my check-in").click()

    error = page.locator("#div_id_recorded_at")
    assert "in the future" in error.inner_text()
    assert page.locator("#id_pain_5").is_checked()
    assert page.locator("#id_numbness_4").is_checked()
    assert page.locator("#id_tingling_2").is_checked()
    assert page.input_value("#id_note") == "Burning at night"
    assert SymptomEntry.objects.count() == before
    shot(page, "log-future-time-error")


def test_a_double_click_on_save_stores_one_entry(demo, new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, "demo.patient")
    before = demo_patient().entries.count()
    for name in ("pain", "numbness", "tingling"):
        page.locator(f"label[for=id_{name}_3]").click()
    page.get_by_role("button", name="Save my check-in").dblclick()
    page.wait_for_url("**/history/")
    page.wait_for_load_state("networkidle")
    assert demo_patient().entries.count() == before + 1


def test_a_patient_opening_another_patients_page_gets_not_found(demo, new_context, live_server):
    other = Patient.objects.exclude(user__username="demo.patient").first()
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    sign_in(page, live_server, "demo.patient")
    response = page.goto(f"{live_server.url}/practice/patients/{other.public_id}/")
    assert response.status == 404
    assert "could not find that page" in page.content()
    assert other.display_name not in page.content()


def test_check_in_and_chart_work_with_javascript_off(demo, new_context, live_server):
    page = new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False).new_page()
    sign_in(page, live_server, "demo.patient")
    before = demo_patient().entries.count()
    for name in ("pain", "numbness", "tingling"):
        page.locator(f"label[for=id_{name}_2]").click()
    page.get_by_role("button", name="Save my check-in").click()
    page.wait_for_url("**/history/")
    assert demo_patient().entries.count() == before + 1
    assert page.locator("svg.chart polyline").count() >= 3
