"""Issue 16 in a real browser: review a flag and undo it; finish a course and re-open it.

At 360 px (a phone) and 1280 px, with axe on every page touched.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import demo_patient, shot, sign_in
from tracker.models import FlagReview, Patient

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 1280)


def assert_accessible(page):
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], [n["html"][:150] for n in v["nodes"]]) for v in violations]


def row_names(page):
    return page.locator("table.worklist tbody th[scope=row] > a").all_inner_texts()


@pytest.mark.parametrize("width", WIDTHS)
def test_review_a_flagged_patient_from_the_worklist_and_undo_it(
    demo, new_context, live_server, width
):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server, "demo.practitioner")
    first = page.locator("table.worklist tbody tr.flagged").first
    name = first.locator("th[scope=row] > a").inner_text()

    first.locator("summary", has_text="Mark reviewed").click()
    button = first.locator("form button[type=submit]")
    assert button.bounding_box()["height"] >= 44
    first.get_by_label("Note (optional)").fill("called, booked an earlier session")
    shot(page, "review-form")
    assert_accessible(page)
    button.click()
    page.wait_for_load_state()

    assert name not in row_names(page)
    assert FlagReview.objects.get(patient__display_name=name).note.startswith("called")
    page.get_by_role("link", name="Reviewed").click()
    page.wait_for_url("**show=reviewed**")
    assert row_names(page) == [name]
    assert "Reviewed by Dr" in page.locator("table.worklist tbody tr").first.inner_text()
    shot(page, "worklist-reviewed")
    assert_accessible(page)

    undo = page.get_by_role("button", name=f"Undo review of {name}")
    assert undo.bounding_box()["height"] >= 44
    undo.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Needs attention").click()
    page.wait_for_load_state()
    assert name in row_names(page)
    assert FlagReview.objects.get(patient__display_name=name).undone_at is not None


@pytest.mark.parametrize("width", WIDTHS)
def test_finish_a_course_and_reopen_it(demo, new_context, live_server, width):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server, "demo.practitioner")
    patient = demo_patient()
    page.goto(f"{live_server.url}{patient.get_absolute_url()}")

    page.locator("summary", has_text="Finish the course").click()
    page.get_by_label("Note (optional)").fill("ten sessions, much better")
    shot(page, "finish-course-form")
    assert_accessible(page)
    page.get_by_role("button", name="Finish course").click()
    page.wait_for_load_state()
    assert "Course finished on" in page.locator("main").inner_text()
    assert Patient.objects.get(pk=patient.pk).discharged_on is not None
    shot(page, "course-finished")
    assert_accessible(page)

    page.get_by_role("link", name="All patients").click()
    page.wait_for_load_state()
    assert patient.display_name not in row_names(page)
    page.get_by_role("link", name="Finished").click()
    page.wait_for_url("**show=finished**")
    assert row_names(page) == [patient.display_name]
    assert "Course finished on" in page.locator("table.worklist").inner_text()
    shot(page, "worklist-finished")
    assert_accessible(page)

    page.get_by_role("link", name=patient.display_name).click()
    page.get_by_role("button", name="Re-open course").click()
    page.wait_for_load_state()
    assert "open again" in page.locator("main").inner_text()
    assert Patient.objects.get(pk=patient.pk).discharged_on is None
