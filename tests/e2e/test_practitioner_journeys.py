"""The practitioner's journeys in a real browser, second factor included."""

import csv
import io

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import demo_patient, shot, sign_in
from tracker.models import Patient, TreatmentSession

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def assert_accessible(page):
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]


def test_a_practitioner_works_through_the_worklist_and_records_a_session(
    demo, new_context, live_server
):
    page = new_context(**DESKTOP).new_page()
    sign_in(page, live_server, "demo.practitioner")
    assert page.url.endswith("/practice/"), page.url

    # Flagged patients come first: every flagged row sits above every unflagged one.
    flagged = page.locator("table.worklist tbody tr").evaluate_all(
        "rows => rows.map(r => r.classList.contains('flagged'))"
    )
    assert flagged[0] and True in flagged and False in flagged
    assert flagged == sorted(flagged, reverse=True)
    assert "worse" in page.locator(".attention-counts").inner_text()
    shot(page, "worklist")

    page.get_by_role("link", name="Alex Morgan").click()
    page.wait_for_url(f"**/practice/patients/{demo_patient().public_id}/")
    markers = page.locator("svg.chart .chart-sessions g")
    before = markers.count()
    assert before >= 8
    page.get_by_role("link", name="All", exact=True).click()
    shot(page, "patient-detail")

    page.get_by_role("link", name="Record a session").click()
    page.fill("#id_when", "2026-11-20T09:30")
    page.fill("#id_points_used", "ST36, SP6, Bafeng")
    page.fill("#id_notes", "Tolerated well; reports warmer feet.")
    shot(page, "session-form")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_url(f"**/practice/patients/{demo_patient().public_id}/")
    assert TreatmentSession.objects.filter(points_used="ST36, SP6, Bafeng").exists()
    page.goto(page.url + "?range=all")
    assert page.locator("svg.chart .chart-sessions g").count() == before + 1


def test_an_invited_patient_sets_a_password_and_lands_on_check_in(
    demo, new_context, live_server, settings
):
    # Links are built from SITE_URL, never from the request: here the site is the live server.
    settings.SITE_URL = live_server.url
    page = new_context(**DESKTOP).new_page()
    sign_in(page, live_server, "demo.practitioner")
    page.get_by_role("link", name="Add a patient").click()
    shot(page, "add-patient")
    page.fill("input[name=display_name]", "Nora Newcombe")
    page.fill("input[name=email]", "nora@example.org")
    page.get_by_text("Diabetic", exact=True).click()
    page.locator("main button[type=submit]").click()
    link = page.input_value("#invitation-link")
    shot(page, "invitation-sent")

    invited = new_context(viewport={"width": 360, "height": 740}).new_page()
    invited.goto(link)
    shot(invited, "invitation-accept")
    assert_accessible(invited)
    passwords = invited.locator("input[type=password]")
    passwords.nth(0).fill("my own long passphrase 2026")
    passwords.nth(1).fill("my own long passphrase 2026")
    invited.locator("main button[type=submit]").click()
    # Once, after the password: would they like reminders? Saving goes on to the check-in.
    invited.wait_for_url("**/account/reminders/?welcome=1")
    assert_accessible(invited)
    invited.get_by_text("Every day", exact=True).click()
    invited.get_by_role("button", name="Save my reminders").click()
    invited.wait_for_url("**/log/")
    assert Patient.objects.get(user__username="nora@example.org").user.has_usable_password()


def test_the_csv_downloads_and_the_report_prints(demo, new_context, live_server):
    page = new_context(**DESKTOP).new_page()
    sign_in(page, live_server, "demo.practitioner")
    page.goto(f"{live_server.url}/practice/patients/{demo_patient().public_id}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    # utf-8-sig: the file starts with the byte-order mark Excel needs.
    with open(download.value.path(), encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["patient", "when", "saved_at", "source", "record"]
    assert len(rows) > 50
    figures = ["baseline", "recent_mean", "change_points", "band", "reliable_change"]
    # Issue 18's rows among them: the demo patient's medicines and answers.
    assert {row[4] for row in rows[1:-5]} == {
        "entry",
        "session",
        "medicine",
        "weekly_answer",
        "impression_of_change",
        "side_effects",
    }
    assert [row[4] for row in rows[-5:]] == figures

    page.get_by_role("link", name="Printable report").click()
    page.wait_for_load_state()
    shot(page, "report")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_learn_panel_beside_the_chart_leads_to_a_learn_page(demo, new_context, live_server):
    page = new_context(**DESKTOP).new_page()
    sign_in(page, live_server, "demo.practitioner")
    page.goto(f"{live_server.url}/practice/patients/{demo_patient().public_id}/")
    panel = page.locator("aside.learn-panel")
    panel.get_by_role("link", name="Tracking your symptoms").click()
    page.wait_for_url("**/learn/tracking-your-symptoms/")
    assert "Tracking your symptoms" in page.locator("h1").inner_text()


def test_a_practitioner_without_the_second_factor_sees_no_patient_data(
    demo, new_context, live_server
):
    page = new_context(**DESKTOP).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "demo.practitioner")
    page.fill("#id_password", "neuropathy-demo")
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/verify/**")
    shot(page, "two-factor-verify")
    assert_accessible(page)
    page.goto(f"{live_server.url}/practice/patients/{demo_patient().public_id}/")
    assert "/accounts/verify/" in page.url
    assert "Alex Morgan" not in page.content()


def test_the_report_is_plain_on_paper(demo, new_context, live_server):
    page = new_context(**DESKTOP).new_page()
    sign_in(page, live_server, "demo.practitioner")
    page.goto(f"{live_server.url}/practice/patients/{demo_patient().public_id}/report/")
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
    assert page.locator("svg.chart").is_visible()
    text = io.StringIO(page.locator("main").inner_text()).read()
    assert "Symptom report: Alex Morgan" in text
