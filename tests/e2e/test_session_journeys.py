"""Sessions as they happened, in a real browser: the outcome of a past booked session
recorded from the worklist, and a session with scores taken in clinic. axe at phone
and desktop widths on every page touched."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, demo_patient, shot, sign_in
from tracker.models import SessionStatus, SymptomEntry, TreatmentSession

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 1280)


def assert_accessible(page):
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]


def assert_no_sideways_scroll(page):
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow


@pytest.mark.parametrize("width", WIDTHS)
def test_the_practitioner_records_what_happened_and_scores_taken_in_clinic(
    demo, new_context, live_server, width
):
    patient = demo_patient()
    # Yesterday's session was booked and nobody has said yet what happened.
    missed = TreatmentSession.objects.create(
        patient=patient,
        practitioner=patient.practitioner,
        when=timezone.now() - timedelta(days=1, hours=2),
        status=SessionStatus.BOOKED,
    )
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server, "demo.practitioner")

    section = page.locator("section.sessions-to-record")
    assert "Sessions to record (1)" in section.inner_text()
    assert patient.display_name in section.inner_text()
    shot(page, "sessions-to-record")
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Each button names the patient and the time for a screen reader (Playwright puts
    # a space before the visually hidden part).
    name = re.compile(rf"^Did not attend\s*: {patient.display_name}, ")
    section.get_by_role("button", name=name).click()
    # The answer is the same URL again: wait for its message, not for the URL.
    expect(page.locator(".alert, .messages").first).to_contain_text("recorded as did not attend")
    expect(page.locator("section.sessions-to-record")).to_have_count(0)
    missed.refresh_from_db()
    assert missed.status == SessionStatus.DID_NOT_ATTEND

    # A session just given, with the patient's scores as they state them.
    page.get_by_role("link", name=patient.display_name).first.click()
    page.wait_for_url(f"**/practice/patients/{patient.public_id}/")
    before = page.locator("svg.chart .chart-sessions g").count()
    page.get_by_role("link", name="Record a session").click()
    assert page.input_value("#id_when")  # now, already filled in
    assert page.locator("input[name=status][value=attended]").is_checked()
    page.fill("#id_points_used", "ST36, SP6")
    # A partial set is refused in plain words, and nothing is saved.
    page.locator("label[for=id_pain_7]").click()
    page.get_by_role("button", name="Save session").click()
    assert "Please choose a score for all three symptoms, or for none." in page.content()
    shot(page, "session-form-partial-scores")
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    assert not SymptomEntry.objects.filter(entered_by__isnull=False).exists()

    page.locator("label[for=id_numbness_5]").click()
    page.locator("label[for=id_tingling_3]").click()
    shot(page, "session-form-clinic-scores")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_url(f"**/practice/patients/{patient.public_id}/")

    entry = SymptomEntry.objects.get(entered_by__isnull=False)
    assert (entry.pain, entry.numbness, entry.tingling) == (7, 5, 3)
    assert page.locator("svg.chart .chart-sessions g").count() == before + 1
    clinic = page.locator("svg.chart .chart-clinic path")
    assert clinic.count() == 3
    assert "In clinic" in page.locator("svg.chart .chart-legend").text_content()
    first_row = page.locator("table.entries-table tbody tr").first
    assert "in clinic" in first_row.inner_text()
    assert "Entered by Dr" in first_row.inner_text()
    assert "Did not attend" in page.locator("#sessions-heading + p + ol").inner_text()
    shot(page, "patient-detail-clinic-scores")
    page.locator("svg.chart").screenshot(path=SCREENSHOTS / f"chart-clinic-scores-{width}.png")
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # The patient sees the entry as theirs but cannot change it.
    own = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(own, live_server, "demo.patient")
    own.goto(f"{live_server.url}/history/")
    card = own.locator(f"#entry-{entry.public_id}")
    assert "Entered in clinic by" in card.inner_text()
    assert card.get_by_role("link", name="Change").count() == 0
    shot(own, "history-clinic-entry")
    assert_accessible(own)
    assert_no_sideways_scroll(own)
