"""Getting in and back in, in a real browser at 360 px: a patient without email joins with a
printed sign-in sheet, and a patient who forgot the password recovers it by email
(through a real SMTP server). axe checks every page on the way.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import demo_patient, shot, sign_in
from tests.test_email import parts_of
from tracker.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True}
NEW_PASSWORD = "tea with two sugars please"


def assert_accessible(page):
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def choose_password(page, password=NEW_PASSWORD):
    passwords = page.locator("input[type=password]")
    passwords.nth(0).fill(password)
    passwords.nth(1).fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def test_a_patient_without_email_joins_with_a_printed_sheet(
    demo, new_context, live_server, settings
):
    settings.SITE_URL = live_server.url
    desk = new_context(**PHONE).new_page()
    sign_in(desk, live_server, "demo.practitioner")
    desk.goto(f"{live_server.url}/practice/patients/new/")
    desk.fill("input[name=display_name]", "Ruth Rowe")
    desk.get_by_text("Idiopathic", exact=False).first.click()
    desk.locator("main button[type=submit]").click()
    desk.wait_for_url("**/practice/patients/*/")
    ruth = Patient.objects.select_related("user").get(display_name="Ruth Rowe")
    assert ruth.user.email == ""
    assert ruth.user.username in desk.locator(".messages").inner_text()
    shot(desk, "patient-not-joined")
    assert_accessible(desk)

    desk.get_by_role("button", name="Print a sign-in sheet").click()
    desk.wait_for_load_state()
    shot(desk, "sign-in-sheet")
    assert_accessible(desk)
    sheet = desk.locator(".sign-in-sheet")
    assert ruth.user.username in sheet.inner_text()
    qr = desk.locator(".sheet-qr svg").bounding_box()
    assert qr["width"] >= 150  # big enough for an older phone's camera
    typed = "".join(desk.locator(".sheet-link").inner_text().split())
    assert re.fullmatch(r"[\w.:-]+/s/[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}/", typed), typed
    # On paper: the sheet alone, no menus or buttons.
    desk.emulate_media(media="print")
    assert not desk.locator(".site-header").is_visible()
    assert not desk.get_by_role("link", name="Back to Ruth Rowe").is_visible()
    shot(desk, "sign-in-sheet-print")

    # Ruth types the short address into her phone, in lower case as phones often do.
    phone = new_context(**PHONE).new_page()
    phone.goto("http://" + typed.lower())
    assert "Choose your password" in phone.locator("h1").inner_text()
    shot(phone, "sheet-link-open")
    assert_accessible(phone)
    choose_password(phone)
    assert "/accounts/login/" not in phone.url
    ruth.user.refresh_from_db()
    assert ruth.user.check_password(NEW_PASSWORD)

    # The sheet worked once.
    again = new_context(**PHONE).new_page()
    again.goto("http://" + typed)
    assert "already been used" in again.locator("main").inner_text()


def test_a_patient_who_forgot_the_password_recovers_it_by_email(
    demo, new_context, live_server, settings, smtp_server
):
    settings.SITE_URL = live_server.url
    patient = demo_patient()
    patient.user.email = "alex.morgan@example.org"
    patient.user.save()
    page = new_context(**PHONE).new_page()

    page.goto(f"{live_server.url}/accounts/login/")
    link = page.get_by_role("link", name="Forgot your password?")
    assert link.bounding_box()["height"] >= 44
    link.click()
    page.wait_for_url("**/accounts/password/forgot/")
    shot(page, "password-forgot")
    assert_accessible(page)
    page.fill("input[name=identifier]", "Alex.Morgan@Example.org")
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_url("**/accounts/password/forgot/sent/")
    shot(page, "password-forgot-sent")
    assert_accessible(page)

    [message] = smtp_server.messages
    text, _ = parts_of(message)
    [url] = re.findall(re.escape(live_server.url) + r"/accounts/password/reset/\S+/", text)
    page.goto(url)
    assert "Choose a new password" in page.locator("h1").inner_text()
    shot(page, "password-reset-choose")
    assert_accessible(page)
    choose_password(page)
    assert "Your new password is set." in page.locator(".messages").inner_text()

    # The link worked once; the new password works, with capitals in the address.
    page.goto(url)
    assert "This link does not work" in page.locator("h1").inner_text()
    shot(page, "password-reset-used")
    assert_accessible(page)
    fresh = new_context(**PHONE).new_page()
    sign_in(fresh, live_server, "ALEX.MORGAN@example.org", NEW_PASSWORD)
    assert fresh.url.endswith("/log/"), fresh.url
