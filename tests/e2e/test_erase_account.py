"""Issue 19 in the browser: a patient asks for their account to be erased, at 360 px (a
small phone) and 1280 px, with axe, tap targets and no sideways scrolling; then sees the
request waiting, and a declined one with the clinic's reason."""

import pytest
from django.utils import timezone

from tests.e2e.conftest import PASSWORD, demo_patient, sign_in
from tests.e2e.test_reported_patient import DESKTOP, PHONE, check_page
from tracker.models import DeletionRequest, DeletionStatus

pytestmark = pytest.mark.django_db(transaction=True)

ASK = "Ask to erase my account"


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
