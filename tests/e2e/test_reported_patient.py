"""Issue 18 in the browser, the patient's side: medicine tiles on the check-in, the
questions after it, the medicine list. At 360 px (a small phone) and 1280 px, with axe,
tap targets, and with a keyboard alone."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from tests.e2e.conftest import demo_patient, shot, sign_in
from tests.e2e.test_log_phone import MIN_TARGET, SAVE_TOP, SMALL_TARGETS
from tracker.models import (
    GlobalImpression,
    Medicine,
    MnsiAnswer,
    SessionStatus,
    SideEffectReport,
    TreatmentSession,
    WeeklyAnswer,
)

pytestmark = pytest.mark.django_db(transaction=True)

SAVE = "Save my check-in"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def everything_due(patient):
    """This week's questions unanswered, and a session just held, not yet asked about: the
    newest attended one, whatever the time of day (the demo's own sessions are on the hour,
    and today's counts as attended once its hour has passed)."""
    WeeklyAnswer.objects.filter(patient=patient).delete()
    GlobalImpression.objects.filter(patient=patient).delete()
    SideEffectReport.objects.filter(patient=patient).delete()
    return TreatmentSession.objects.create(
        patient=patient,
        practitioner=patient.practitioner,
        when=timezone.now() - timedelta(seconds=1),
        status=SessionStatus.ATTENDED,
    )


def two_medicines(patient):
    Medicine.objects.filter(patient=patient).delete()
    Medicine.objects.create(patient=patient, name="Pregabalin", dose="75 mg twice a day")
    return Medicine.objects.create(patient=patient, name="Duloxetine", dose="60 mg")


def open_page(new_context, live_server, viewport, phone):
    context = new_context(viewport=viewport, has_touch=phone, is_mobile=phone)
    page = context.new_page()
    sign_in(page, live_server, "demo.patient")
    assert page.url.endswith("/log/")
    return page


def check_page(page, name):
    """No target under 44 px, nothing wider than the screen, no axe violation; a screenshot."""
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    shot(page, name)


def button_top(page, name):
    return page.evaluate(SAVE_TOP, name)


@pytest.mark.parametrize(("viewport", "phone"), [(PHONE, True), (DESKTOP, False)])
def test_a_check_in_with_an_extra_dose_then_the_questions_after_it(
    demo, new_context, live_server, viewport, phone
):
    patient = demo_patient()
    session = everything_due(patient)
    duloxetine = two_medicines(patient)
    page = open_page(new_context, live_server, viewport, phone)
    height = viewport["height"]

    check_page(page, "log-with-medicines")
    assert button_top(page, SAVE) < 2 * height
    click = page.tap if phone else page.click
    for name, score in (("pain", 4), ("numbness", 6), ("tingling", 3)):
        click(f"label[for=id_{name}_{score}]")
    click("text=Your medicines (optional)")
    click("text=I took an extra dose")
    page.get_by_role("button", name=SAVE).click()
    page.wait_for_url("**/questions/")

    # The questions: Save within two screens, every one optional.
    save_top = button_top(page, "Save my answers")
    print(f"questions: save at {save_top:.0f} px ({save_top / height:.2f} screens)")
    assert save_top < 2 * height
    assert "Saved." in page.locator(".messages").inner_text()
    check_page(page, "follow-up")
    click("label[for=id_sleep_interference_6]")
    click("label[for=id_fell_1]")  # No
    page.get_by_label("A little better").check()
    page.get_by_label("A bruise").check()
    page.get_by_label("Duloxetine 60 mg").check()
    page.get_by_role("button", name="Save my answers").click()
    page.wait_for_url("**/history/")
    assert "Your answers are saved" in page.locator(".messages").inner_text()

    answer = WeeklyAnswer.objects.get(patient=patient)
    assert (answer.sleep_interference, answer.fell) == (6, False)
    assert GlobalImpression.objects.get(patient=patient, session=session).answer == 3
    assert SideEffectReport.objects.get(patient=patient, session=session).effects == ["bruise"]
    assert patient.entries.latest("created_at").medicine_events.get().medicine == duloxetine


def test_skipping_the_questions_keeps_the_check_in_within_six_taps(demo, new_context, live_server):
    patient = demo_patient()
    everything_due(patient)
    page = open_page(new_context, live_server, PHONE, True)
    before = patient.entries.count()

    taps = 0
    for name, score in (("pain", 2), ("numbness", 2), ("tingling", 1)):
        page.tap(f"label[for=id_{name}_{score}]")
        taps += 1
    page.get_by_role("button", name=SAVE).tap()
    taps += 1
    page.wait_for_url("**/questions/")
    page.get_by_role("button", name="Skip these questions").tap()
    taps += 1
    page.wait_for_url("**/history/")

    assert taps <= 6
    assert patient.entries.count() == before + 1
    assert WeeklyAnswer.objects.get(patient=patient).skipped


def test_the_questions_answered_with_a_keyboard_alone(demo, new_context, live_server):
    patient = demo_patient()
    session = everything_due(patient)
    page = open_page(new_context, live_server, DESKTOP, False)
    for name, score in (("pain", 3), ("numbness", 3), ("tingling", 3)):
        page.focus(f"#id_{name}_0")
        for _ in range(score):
            page.keyboard.press("ArrowRight")
    # The fold opens with Enter; its tiles are reached with Tab and ticked with Space.
    page.focus("summary:has-text('Your medicines')")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.focus("button.save-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/questions/")
    newest = patient.entries.latest("created_at")
    assert newest.medicine_events.filter(kind="extra_dose").exists()

    page.focus("#id_sleep_interference_0")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")  # to the fall question: its first answer, Yes
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # to the impression of change
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # side effects: None
    page.keyboard.press("Space")
    page.focus("button.save-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/history/")

    answer = WeeklyAnswer.objects.get(patient=patient)
    assert (answer.sleep_interference, answer.fell) == (4, True)
    assert GlobalImpression.objects.get(session=session).answer == 1
    assert SideEffectReport.objects.get(session=session).effects == ["none"]


@pytest.mark.parametrize(("viewport", "phone"), [(PHONE, True), (DESKTOP, False)])
def test_the_medicine_list(demo, new_context, live_server, viewport, phone):
    patient = demo_patient()
    Medicine.objects.filter(patient=patient).delete()
    page = open_page(new_context, live_server, viewport, phone)
    page.goto(f"{live_server.url}/account/")
    page.get_by_role("link", name="My medicines").click()
    page.wait_for_url("**/account/medicines/")

    page.fill("#id_name", "Pregabalin")
    page.fill("#id_dose", "75 mg twice a day")
    page.get_by_role("button", name="Add to my list").click()
    page.wait_for_url("**/account/medicines/")
    assert "Pregabalin is on your list." in page.locator(".messages").inner_text()
    check_page(page, "medicines")

    page.get_by_role("link", name="Change Pregabalin").click()
    page.fill("#id_stopped", timezone.localdate().isoformat())
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/account/medicines/")
    assert "Stopped" in page.locator("main").inner_text()
    assert Medicine.objects.get(patient=patient).stopped == timezone.localdate()


@pytest.mark.parametrize(("viewport", "phone"), [(PHONE, True), (DESKTOP, False)])
def test_the_mnsi_where_the_clinic_turned_it_on(
    demo, new_context, live_server, settings, viewport, phone
):
    settings.CLINIC_MNSI = True
    patient = demo_patient()
    everything_due(patient)
    MnsiAnswer.objects.filter(patient=patient).delete()
    page = open_page(new_context, live_server, viewport, phone)
    for name in ("pain", "numbness", "tingling"):
        page.locator(f"label[for=id_{name}_2]").click()
    page.get_by_role("button", name=SAVE).click()
    page.wait_for_url("**/questions/")
    assert button_top(page, "Save my answers") < 2 * viewport["height"]

    page.get_by_text("yes-or-no questions about your legs and feet").click()
    for number in range(1, 16):
        page.locator(f"label[for=id_mnsi_{number}_{0 if number == 1 else 1}]").click()
    check_page(page, "follow-up-mnsi")
    page.get_by_role("button", name="Save my answers").click()
    page.wait_for_url("**/history/")

    saved = MnsiAnswer.objects.get(patient=patient)
    # Yes to item 1 only; no to 7 and 13, which count for "no".
    assert (saved.answers, saved.score) == ("Y" + "N" * 14, 3)
