"""The clinic's name (CLINIC_NAME) in the page header, on the printed report and in every e-mail."""

import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from tests.conftest import client_for, verified_client_for

pytestmark = pytest.mark.django_db

EMAILS = Path(__file__).resolve().parent.parent / "templates" / "tracker" / "email"
NAME = "St. Mary's <Neuropathy> Clinic"
ESCAPED = "St. Mary&#x27;s &lt;Neuropathy&gt; Clinic"


@pytest.fixture
def st_marys(settings):
    settings.CLINIC_NAME = NAME


def header(response):
    html = response.content.decode()
    return html.split('<header class="site-header', 1)[1].split("</header>", 1)[0]


def test_the_header_names_the_clinic_under_the_app(client, st_marys):
    brand = header(client.get("/accounts/login/"))
    assert f'<span class="brand-clinic">{ESCAPED}</span>' in brand
    assert "Relief Tracker" in brand


def test_the_header_names_the_clinic_on_signed_in_pages_too(alice, st_marys):
    assert ESCAPED in header(client_for(alice.user).get("/log/"))


def test_the_default_name_is_not_shown_twice(client):
    assert "brand-clinic" not in header(client.get("/accounts/login/"))


def test_the_printed_report_names_the_clinic(alice, st_marys):
    response = verified_client_for(alice.practitioner.user).get(
        f"/practice/patients/{alice.public_id}/report/"
    )
    assert response.status_code == 200
    report = response.content.decode().split('<div class="report">', 1)[1]
    # In the report's own header: the site header is not printed (app.css).
    assert f'<p class="mb-1 fw-bold report-clinic">{ESCAPED}</p>' in report


@pytest.mark.parametrize("template", sorted(p.name for p in EMAILS.glob("*.*")))
def test_every_email_signs_off_with_the_clinic_name(template):
    body = render_to_string(
        f"tracker/email/{template}", {"clinic_name": "Riverside Clinic", "hours": 1}
    )
    last = re.sub(r"\s*</body>\s*</html>\s*$", "", body).rstrip().splitlines()[-1]
    assert last in ("Riverside Clinic", "<p>Riverside Clinic</p>"), body[-300:]
