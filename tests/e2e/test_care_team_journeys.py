"""Cover by a second practitioner and the "since last session" summary, in a real browser,
with axe at 360 and 1280 px."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import demo_patient, shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 1280)


def assert_accessible(page):
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_second_practitioner_covers_a_patient(demo, new_context, live_server, width):
    viewport = {"viewport": {"width": width, "height": 900}}
    patient = demo_patient()
    url = f"{live_server.url}/practice/patients/{patient.public_id}/"

    # Before: the other practitioner does not see Alex Morgan.
    cover = new_context(**viewport).new_page()
    sign_in(cover, live_server, "demo.practitioner2")
    assert "Alex Morgan" not in cover.locator("main").inner_text()

    lead = new_context(**viewport).new_page()
    sign_in(lead, live_server, "demo.practitioner")
    lead.goto(url)
    # The summary since the last session sits above the chart, with text to copy.
    since = lead.locator("section.since-session")
    assert since.is_visible()
    lead.get_by_text("Copy as text").click()
    assert "Since session" in lead.locator("#since-text").input_value()
    shot(lead, "patient-since-session")
    assert_accessible(lead)

    lead.select_option("#id_practitioner", label=patient_cover_name(lead))
    lead.get_by_role("button", name="Add to care team").click()
    lead.wait_for_load_state()
    assert "is now in Alex Morgan" in lead.locator(".messages").inner_text()
    shot(lead, "patient-care-team")
    assert_accessible(lead)

    cover.goto(f"{live_server.url}/practice/")
    row = cover.locator("table.worklist tbody tr", has_text="Alex Morgan")
    assert "care team" in row.inner_text()
    row.get_by_role("link", name="Alex Morgan").click()
    cover.wait_for_url(url)
    team = cover.locator("section[aria-labelledby=team-heading]")
    assert "change the team" in team.inner_text()
    assert team.get_by_role("button").count() == 0  # only the responsible practitioner
    assert_accessible(cover)

    # Removed from the team, the record is gone for her.
    lead.get_by_role("button", name="Remove").click()
    lead.wait_for_load_state()
    response = cover.goto(url)
    assert response.status == 404


def patient_cover_name(page):
    """The first practitioner the select offers (the demo's second practitioner)."""
    options = page.locator("#id_practitioner option").all_inner_texts()
    return options[1]
