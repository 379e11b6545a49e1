"""Accessibility and quality gates on every page, at phone and desktop widths.

axe-core (bundled offline by axe-playwright-python) must find no violation of
any impact; pages must not scroll sideways; nothing may fail to load or load
from another origin. Screenshots of every page go to artifacts/screenshots/.
"""

import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import demo_patient, shot, sign_in, slug
from tracker import learn
from tracker.models import Patient, SymptomEntry

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 1280)
# Elements that stick out of the window: printed when a page scrolls sideways.
WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => !e.parentElement.closest('.table-responsive'))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + getComputedStyle(e).overflowX
    + ' ' + e.getBoundingClientRect().right)"""


def patient_pages():
    entry = SymptomEntry.objects.filter(patient__user__username="demo.patient").first()
    # A fresh entry so that its change page is open.
    entry.pk = None
    entry.public_id = uuid.uuid4()
    entry.save()
    return [
        "/account/",
        "/account/reminders/?welcome=1",
        "/account/erase/",
        "/log/",
        "/history/",
        f"/history/entries/{entry.public_id}/edit/",
        f"/history/entries/{entry.public_id}/delete/",
    ]


def practitioner_pages():
    patient = demo_patient()
    session = patient.sessions.first()
    base = f"/practice/patients/{patient.public_id}"
    return [
        "/practice/",
        f"{base}/",
        f"{base}/?range=all",
        f"{base}/sessions/new/",
        f"/practice/sessions/{session.public_id}/edit/",
        f"/practice/sessions/{session.public_id}/delete/",
        f"{base}/report/",
        "/practice/patients/new/",
        "/account/",
        "/accounts/password/",
    ]


def public_pages():
    return [
        "/accounts/login/",
        "/learn/",
        *(f"/learn/{p.slug}/" for p in learn.all_pages()),
        "/no-such-page/",
        "/invite/not-a-real-link/",
        "/s/AAAA-BBBB-CCCC/",
        "/accounts/password/forgot/",
        "/accounts/password/forgot/sent/",
        "/accounts/password/reset/MQ/not-a-real-token/",
        "/reminders/unsubscribe/not-a-real-link/",
    ]


def check_page(page, url, axe, problems):
    response = page.goto(url)
    assert response is not None
    shot(page, slug(url.split("//", 1)[-1].split("/", 1)[-1]))
    results = axe.run(page)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]
    assert not violations, (url, violations)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        print(page.evaluate(WIDE_ELEMENTS))
    assert overflow <= 0, (url, f"scrolls sideways by {overflow}px")
    assert not problems, problems


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_are_accessible(demo, new_context, live_server, watch_factory, width):
    axe = Axe()
    page, problems = watch_factory(new_context(viewport={"width": width, "height": 800}))
    for url in public_pages():
        check_page(page, live_server.url + url, axe, problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_patient_pages_are_accessible(demo, new_context, live_server, watch_factory, width):
    axe = Axe()
    page, problems = watch_factory(new_context(viewport={"width": width, "height": 800}))
    sign_in(page, live_server, "demo.patient")
    for url in patient_pages():
        check_page(page, live_server.url + url, axe, problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_practitioner_pages_are_accessible(demo, new_context, live_server, watch_factory, width):
    axe = Axe()
    page, problems = watch_factory(new_context(viewport={"width": width, "height": 800}))
    sign_in(page, live_server, "demo.practitioner")
    for url in practitioner_pages():
        check_page(page, live_server.url + url, axe, problems)


def test_every_score_choice_is_at_least_44_px_on_a_phone(demo, new_context, live_server):
    page = new_context(viewport={"width": 360, "height": 740}, has_touch=True).new_page()
    sign_in(page, live_server, "demo.patient")
    labels = page.locator(".score-choice")
    assert labels.count() == 33
    for i in range(labels.count()):
        box = labels.nth(i).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (i, box)


@pytest.mark.parametrize("width", [320, 640])
def test_pages_reflow_at_320_px_and_at_200_percent_zoom(demo, new_context, live_server, width):
    """640 CSS px is a 1280 px window at 200% zoom."""
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    urls = ["/accounts/login/", "/learn/", "/learn/evidence/"]
    for url in urls:
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
    sign_in(page, live_server, "demo.patient")
    for url in ["/log/", "/history/"]:
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url


def test_another_patients_data_is_not_on_the_patient_pages(demo, new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, live_server, "demo.patient")
    others = Patient.objects.exclude(user__username="demo.patient").values_list(
        "display_name", flat=True
    )
    for url in ["/log/", "/history/", "/history/?range=all"]:
        page.goto(live_server.url + url)
        text = page.content()
        assert not [name for name in others if name in text], url
