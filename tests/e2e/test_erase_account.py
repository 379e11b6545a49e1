"""Issue 19 in the browser: a patient asks for their account to be erased, at 360 px (a
small phone) and 1280 px, with axe, tap targets and no sideways scrolling; then sees the
request waiting, and a declined one with the clinic's reason."""

import pytest
from django.utils import timezone

from tests.e2e.conftest import PASSWORD, SCREENSHOTS, demo_patient, sign_in
from tests.e2e.test_reported_patient import DESKTOP, PHONE, check_page
from tracker.models import DeletionRequest, DeletionStatus

pytestmark = pytest.mark.django_db(transaction=True)

ASK = "Ask to erase my account"


def section_shot(page, name):
    """The erase part of /account/ alone, big enough to read (the full page is long)."""
    width = page.viewport_size["width"]
    page.locator("main .narrow").last.screenshot(path=SCREENSHOTS / f"{name}-{width}.png")


@pytest.mark.parametrize(("viewport", "phone"), [(PHONE, True), (DESKTOP, False)])
def test_a_patient_asks_to_be_erased_and_sees_the_answer(
    demo, new_context, live_server, viewport, phone
):
    patient = demo_patient()
    context = new_context(viewport=viewport, has_touch=phone, is_mobile=phone)
    page = context.new_page()
    sign_in(page, live_server, "demo.patient")
    page.goto(f"{live_server.url}/account/")
    page.locator("main").get_by_role("link", name=ASK).click()
    page.wait_for_load_state()
    assert page.url.endswith("/account/erase/")
    check_page(page, "erase-account")

    # A wrong password: a plain message, nothing asked.
    page.get_by_label("Your password").fill("not my password")
    page.locator("main").get_by_role("button", name=ASK).click()
    page.wait_for_load_state()
    assert page.get_by_text("That is not your password").is_visible()
    assert not DeletionRequest.objects.filter(patient=patient).exists()
    check_page(page, "erase-account-wrong-password")

    page.get_by_label("Why? (optional)").fill("I am moving to another clinic.")
    page.get_by_label("Your password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=ASK).click()
    page.wait_for_load_state()
    assert page.url.endswith("/account/")
    assert page.get_by_text("The clinic has your request").is_visible()
    assert page.get_by_text("The clinic has not answered yet").is_visible()
    made = DeletionRequest.objects.get(patient=patient)
    assert made.status == DeletionStatus.OPEN
    check_page(page, "account-erase-waiting")
    section_shot(page, "account-erase-section-waiting")

    # Withdrawn, then asked again: the button on /account/ does it, nothing erased.
    page.locator("main").get_by_role("button", name="Withdraw my request").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your request is withdrawn. Nothing was erased.").is_visible()
    made.refresh_from_db()
    assert made.status == DeletionStatus.WITHDRAWN
    made.status = DeletionStatus.OPEN
    made.save()

    DeletionRequest.objects.filter(pk=made.pk).update(
        status=DeletionStatus.DECLINED,
        decided_at=timezone.now(),
        decline_reason="The clinic must keep your health records for 8 years after your care "
        "ends. We will erase them after that.",
    )
    page.reload()
    assert page.get_by_text("The clinic did not erase your account.").is_visible()
    assert page.get_by_text("must keep your health records").is_visible()
    check_page(page, "account-erase-declined")
    section_shot(page, "account-erase-section-declined")


def test_staff_carry_out_a_request_in_the_admin(demo, new_context, live_server, settings):
    """Staff find the open request, read the retention warning and the counts, confirm."""
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.e2e.conftest import shot
    from tracker.models import Patient

    settings.CLINIC_RETENTION_YEARS = 8
    patient = demo_patient()
    made = DeletionRequest.objects.create(
        patient=patient, reason="Moving away.", requested_at=timezone.now()
    )
    staff = User.objects.create_superuser("clinic.staff", password=PASSWORD)
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    page = new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "clinic.staff")
    page.goto(f"{live_server.url}/admin/tracker/deletionrequest/{made.pk}/change/")
    assert page.get_by_text("within the clinic's retention period").is_visible()
    shot(page, "admin-deletion-request")
    page.get_by_role("link", name="Carry out (erase the account)…").click()
    page.wait_for_load_state()
    assert page.get_by_text("check-ins:").is_visible()
    shot(page, "admin-deletion-carry-out")
    page.get_by_role("button", name="Yes, erase this account and its data").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"Deletion request {made.pk} carried out").is_visible()
    shot(page, "admin-deletion-done")
    assert not Patient.objects.filter(pk=patient.pk).exists()
    made.refresh_from_db()
    assert made.status == DeletionStatus.DONE
