"""A language for each new patient (issue 20): chosen by the practitioner at "Add a
patient", it is the language of the invitation e-mail, the sign-in sheet and the page
that accepts the invitation; the patient may change it there, and it is theirs from then
on. Offered only when the clinic offers more than one language (CLINIC_LANGUAGES).
"""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import body
from tests.test_languages import ALL
from tracker.models import Patient

ADD = reverse("tracker:add_patient")
NEW_PASSWORD = "slow walks by the river"
LINK = re.compile(r"http://testserver/invite/[\w-]+/")
pytestmark = pytest.mark.django_db


@pytest.fixture
def three(settings):
    settings.LANGUAGES = ALL


def add_dan(client, **changes):
    data = {"display_name": "Dan Dunn", "email": "dan@example.com", "neuropathy_kind": "diabetic"}
    return client.post(ADD, {**data, **changes})


def dan():
    return Patient.objects.select_related("user").get(user__username="dan@example.com")


def link_in(message):
    [link] = LINK.findall(message.body)
    return urlsplit(link).path


def choose_password(client, path, **extra):
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **extra}
    return client.post(path, data)


def test_the_practitioner_picks_spanish_and_the_invitation_speaks_it(
    xavier_client, mailoutbox, client, three
):
    page = body(xavier_client.get(ADD))
    assert 'name="language"' in page and "Español" in page and "简体中文" in page
    # The clinic's language is chosen unless the practitioner picks another.
    assert re.search(r'value="en-gb"[^>]*checked', page)

    response = add_dan(xavier_client, language="es")

    assert response.status_code == 302
    assert dan().language == "es"
    [email] = mailoutbox
    assert email.subject == "Su invitación a Relief Tracker"
    assert "Hola, Dan Dunn" in email.body and "Hello" not in email.body
    [(html, _type)] = email.alternatives
    assert '<html lang="es">' in html and "Elija su contraseña" in html
    # The practitioner's own page stays in their language.
    assert "Dan Dunn was added." in body(xavier_client.get(response.url))

    page = body(client.get(link_in(email), HTTP_ACCEPT_LANGUAGE="en-GB"))
    assert '<html lang="es">' in page
    assert "Elija su contraseña" in page and "Choose your password" not in page
    assert re.search(r'value="es"[^>]*checked', page)


def test_the_patient_switches_to_chinese_when_accepting(xavier_client, mailoutbox, client, three):
    add_dan(xavier_client, language="es")
    path = link_in(mailoutbox[0])

    response = choose_password(client, path, language="zh-hans")

    assert response.status_code == 302
    patient = dan()
    assert patient.language == "zh-hans"
    assert patient.user.check_password(NEW_PASSWORD)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = body(client.get(response.url, HTTP_ACCEPT_LANGUAGE="es"))
    assert '<html lang="zh-Hans">' in page and "退出" in page


def test_a_patient_without_a_chosen_language_may_choose_one(
    xavier_client, mailoutbox, client, three
):
    add_dan(xavier_client, language="es")
    path = link_in(mailoutbox[0])
    # As for a patient added before the clinic offered more than one language.
    Patient.objects.filter(pk=dan().pk).update(language="")
    # The browser's language until they choose.
    assert "Choose your password" in body(client.get(path, HTTP_ACCEPT_LANGUAGE="en-GB"))

    choose_password(client, path, language="es")

    assert dan().language == "es"


def test_an_unknown_language_is_refused(xavier_client, mailoutbox, client, three):
    response = add_dan(xavier_client, language="xx")
    assert response.status_code == 200
    assert "Please choose a language from the list." in body(response)
    assert not Patient.objects.filter(user__username="dan@example.com").exists()

    add_dan(xavier_client, language="es")
    path = link_in(mailoutbox[0])
    response = choose_password(client, path, language="xx")

    assert response.status_code == 200
    patient = dan()
    assert patient.language == "es"
    assert not patient.user.has_usable_password()
    # Still in the patient's language.
    assert '<html lang="es">' in body(response)


def test_the_sign_in_sheet_speaks_the_patient_s_language(xavier_client, three):
    add_dan(xavier_client, email="", display_name="Ellen Ede", language="es")
    ellen = Patient.objects.get(display_name="Ellen Ede")
    assert ellen.language == "es"

    sheet = body(xavier_client.post(reverse("tracker:sign_in_sheet", args=[ellen.public_id])))

    article = sheet[sheet.index("<article") :]
    assert 'lang="es"' in article
    assert "Su hoja de acceso a Relief Tracker" in article and "1. Abra el enlace" in article
    # The notice above it is for the practitioner, in their language.
    assert "Print this page" in sheet[: sheet.index("<article")]


def test_with_one_language_no_choice_is_shown_and_nothing_changes(
    xavier_client, mailoutbox, client, settings
):
    settings.LANGUAGES = [("en-gb", "English")]
    assert 'name="language"' not in body(xavier_client.get(ADD))

    add_dan(xavier_client, language="es")

    patient = dan()
    assert patient.language == ""
    [email] = mailoutbox
    assert email.subject == "Your Relief Tracker invitation"
    path = link_in(email)
    page = body(client.get(path, HTTP_ACCEPT_LANGUAGE="es"))
    assert 'name="language"' not in page and "Choose your password" in page

    response = choose_password(client, path, language="es")

    assert response.status_code == 302
    assert dan().language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
