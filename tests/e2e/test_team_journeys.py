"""The Team page in a real browser (issue 23, part B): from one staff member, two
practitioners join, one by an emailed link (through a real SMTP server), one by a
printed sheet's code; each sets a password and an authenticator app, and one invites a
patient. No page of /admin/ is opened; axe checks every page on the way.

team_journey() starts from an existing staff user, so that a journey from `setup_clinic`
can run it after creating that user.
"""

import re
from io import StringIO
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.conftest import shot, sign_in
from tests.test_email import parts_of
from tracker.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)

STAFF_PASSWORD = "front desk keeps the keys"
SHOTS = Path("/tmp/teampage_shots")
WIDTHS = (1280, 768)


def assert_accessible(page):
    assert "/admin/" not in page.url, page.url
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def look(page, name):
    """A screenshot for review, here and under artifacts/screenshots."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}-{page.viewport_size['width']}.png", full_page=True)
    shot(page, name)


def code_for(username, confirmed):
    device = TOTPDevice.objects.get(user__username=username, confirmed=confirmed)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def staff_user(username="frontdesk"):
    user = User.objects.create_user(username, password=STAFF_PASSWORD, is_staff=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def accept_and_set_up(page, url, username, password):
    """Open the link, choose a password, set up the authenticator app; lands on the worklist."""
    page.goto(url)
    assert "Choose your password" in page.locator("h1").inner_text()
    look(page, "team-accept")
    assert_accessible(page)
    passwords = page.locator("input[type=password]")
    passwords.nth(0).fill(password)
    passwords.nth(1).fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/accounts/two-factor/setup/**")
    look(page, "team-two-factor-setup")
    assert_accessible(page)
    page.fill("input[name=code]", code_for(username, confirmed=False))
    page.get_by_role("button", name="Turn it on").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="I have saved them: continue").click()
    page.wait_for_url("**/practice/")


def team_journey(
    new_context, live_server, staff, staff_password, smtp_server, width=1280, desk=None
):
    """desk: the staff member's page if already signed in (a code works only once)."""
    viewport = {"viewport": {"width": width, "height": 900}}
    if desk is None:
        desk = new_context(**viewport).new_page()
        sign_in(desk, live_server, staff.username, staff_password)
    desk.wait_for_url("**/clinic/team/")
    look(desk, "team")
    assert_accessible(desk)

    # Dr Ines Ortega by email.
    desk.get_by_role("link", name="Invite a practitioner or staff member").click()
    look(desk, "team-invite")
    assert_accessible(desk)
    desk.fill("input[name=display_name]", "Dr Ines Ortega")
    desk.get_by_text("Practitioner: sees", exact=False).click()
    desk.get_by_text("Email them a link", exact=True).click()
    desk.fill("input[name=email]", "ines@example.org")
    button = desk.get_by_role("button", name="Invite", exact=True)
    assert button.bounding_box()["height"] >= 44
    button.click()
    desk.wait_for_url("**/clinic/team/*/")
    assert "was invited" in desk.locator(".messages").inner_text()
    look(desk, "team-member-invited")
    assert_accessible(desk)
    [message] = smtp_server.messages
    text, _ = parts_of(message)
    [link] = re.findall(re.escape(live_server.url) + r"/invite/\S+/", text)

    # Dr Paul Chen by a printed sheet.
    desk.goto(f"{live_server.url}/clinic/team/invite/")
    desk.fill("input[name=display_name]", "Dr Paul Chen")
    desk.get_by_text("Practitioner: sees", exact=False).click()
    desk.get_by_text("Print a sign-in sheet to hand over", exact=True).click()
    desk.get_by_role("button", name="Invite", exact=True).click()
    desk.wait_for_load_state()
    look(desk, "team-sign-in-sheet")
    assert_accessible(desk)
    sheet = desk.locator(".sign-in-sheet")
    paul_username = sheet.locator(".sheet-value").first.inner_text().strip()
    typed = "".join(desk.locator(".sheet-link").inner_text().split())

    ines = new_context(**viewport).new_page()
    accept_and_set_up(ines, link, "ines@example.org", "ines chooses a long one")
    paul = new_context(**viewport).new_page()
    accept_and_set_up(paul, "http://" + typed, paul_username, "paul chooses his own")

    # Both are on the Team page now, active, with no patients yet.
    desk.goto(f"{live_server.url}/clinic/team/")
    table = desk.locator("table.team-table").inner_text()
    assert "Dr Ines Ortega" in table and "Dr Paul Chen" in table
    assert "Invited, not joined yet" not in table
    look(desk, "team-after")
    assert_accessible(desk)

    # Ines adds a patient, who gets an invitation.
    ines.get_by_role("link", name="Add a patient").click()
    ines.fill("input[name=display_name]", "Rosa Field")
    ines.get_by_text("Diabetic", exact=True).click()
    ines.fill("input[name=email]", "rosa@example.org")
    ines.locator("main button[type=submit]").click()
    ines.wait_for_url("**/practice/patients/*/")
    assert_accessible(ines)
    rosa = Patient.objects.get(display_name="Rosa Field")
    assert rosa.practitioner.user.username == "ines@example.org"
    assert len(smtp_server.messages) == 2


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_bring_in_two_practitioners_without_the_admin(
    new_context, live_server, settings, smtp_server, width
):
    settings.SITE_URL = live_server.url
    team_journey(new_context, live_server, staff_user(), STAFF_PASSWORD, smtp_server, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_deactivate_a_practitioner_and_move_the_patients(new_context, live_server, width):
    from tests.conftest import make_patient, make_practitioner

    leaving = make_practitioner("dr.leaving", "Dr Leaving")
    staying = make_practitioner("dr.staying", "Dr Staying")
    for name in ("Ann Ash", "Ben Birch", "Cat Cedar"):
        make_patient(name.lower().replace(" ", "."), name, leaving)
    staff = staff_user()
    desk = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(desk, live_server, staff.username, STAFF_PASSWORD)
    desk.get_by_role("link", name="Dr Leaving").click()
    desk.get_by_role("link", name="Deactivate Dr Leaving").click()
    look(desk, "team-deactivate")
    assert_accessible(desk)
    desk.get_by_role("button", name="Yes, deactivate").click()
    desk.wait_for_load_state()
    assert "signed out everywhere" in desk.locator(".messages").inner_text()
    look(desk, "team-move-patients")
    assert_accessible(desk)
    for button in desk.locator("main button").all():
        assert button.bounding_box()["height"] >= 44, button.inner_text()

    desk.get_by_label("Move Ann Ash to").select_option(label="Dr Staying")
    desk.locator("li", has_text="Ann Ash").get_by_role("button", name="Move").click()
    desk.wait_for_load_state()
    assert "1 patient moved to Dr Staying" in desk.locator(".messages").inner_text()
    desk.get_by_role("button", name="Move all").click()
    desk.wait_for_load_state()
    assert "2 patients moved to Dr Staying" in desk.locator(".messages").inner_text()
    assert Patient.objects.filter(practitioner=staying).count() == 3
    desk.get_by_role("link", name="Back to the team").click()
    assert "Deactivated" in desk.locator("table.team-table").inner_text()
    assert_accessible(desk)


def test_a_new_clinic_from_setup_clinic_to_two_practitioners_and_a_patient(
    new_context, live_server, settings, smtp_server, tmp_path
):
    # Issue 23's "done when": from nothing, setup_clinic makes the first staff member,
    # who signs in, sets up the authenticator app, and brings in the team from there.
    settings.SITE_URL = live_server.url
    password_file = tmp_path / "password"
    password_file.write_text(STAFF_PASSWORD + "\n")
    call_command(
        "setup_clinic",
        "--no-input",
        "--clinic-name=Northside Acupuncture",
        "--time-zone=Europe/London",
        f"--site-url={live_server.url}",
        "--staff-username=fran",
        "--staff-email=fran@example.org",
        "--staff-name=Fran Desk",
        f"--password-file={password_file}",
        f"--env-file={tmp_path / '.env'}",
        stdout=StringIO(),
    )
    assert 'CLINIC_NAME="Northside Acupuncture"' in (tmp_path / ".env").read_text()

    desk = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(desk, live_server, "fran", STAFF_PASSWORD)
    desk.wait_for_url("**/accounts/two-factor/setup/**")
    assert_accessible(desk)
    desk.fill("input[name=code]", code_for("fran", confirmed=False))
    desk.get_by_role("button", name="Turn it on").click()
    desk.wait_for_load_state()
    assert_accessible(desk)
    desk.get_by_role("link", name="I have saved them: continue").click()

    staff = User.objects.get(username="fran")
    team_journey(new_context, live_server, staff, STAFF_PASSWORD, smtp_server, desk=desk)
    assert User.objects.filter(is_staff=True).count() == 1
    assert Patient.objects.get().display_name == "Rosa Field"
