"""E-mails in the recipient's language (issue 20), whoever or whatever sends them.

A reminder is sent by the cron job, where no language is active; a reset link may be
asked from a browser in another language, or by the practitioner. Either way the
e-mail, subject and both parts, is in the patient's own language (Patient.language,
tracker/languages.language_for), and in the clinic's when they have chosen none. The
messages go through the real SMTP server of the smtp_server fixture, as in
tests/test_email.py.
"""

from datetime import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User

from tests.conftest import freeze_at
from tests.test_deletion_requests import admin_url, ask, with_address
from tests.test_email import parts_of
from tests.test_languages import ALL
from tests.test_password_reset import FORGOT
from tests.test_reminders import A_WEEK_BEFORE, JUST_AFTER, run
from tracker import languages
from tracker.reminders import DAILY

pytestmark = pytest.mark.django_db

# What each language says, as locale/*/LC_MESSAGES/django.po has it.
SAID = {
    "es": {
        "hello": "Hola, Alice Archer:",
        "reminder": "Es hora de anotar en Relief Tracker",
        "reset": "Elija una nueva contraseña de Relief Tracker",
        "reset_words": "Abra este enlace para elegir una nueva contraseña:",
    },
    "zh-hans": {
        "hello": "Alice Archer，您好：",
        "reminder": "该在 Relief Tracker 中记录了",
        "reset": "设置新的 Relief Tracker 密码",
        "reset_words": "打开此链接设置新密码：",
    },
}


TAGS = {"es": "es", "zh-hans": "zh-Hans"}


@pytest.fixture
def three(settings):
    settings.LANGUAGES = ALL
    settings.CLINIC_NAME = "Riverside Clinic"


def speaking(patient, code):
    patient.language = code
    patient.save(update_fields=["language"])
    patient.user.email = "alice@example.com"
    patient.user.save(update_fields=["email"])
    return patient


@pytest.mark.parametrize("code", ["es", "zh-hans"])
def test_the_reminder_arrives_in_the_patient_s_language(alice, three, smtp_server, code):
    speaking(alice, code).choose_reminders(DAILY, time(18), set(), A_WEEK_BEFORE)

    with freeze_at(JUST_AFTER):
        assert "1 sent" in run()

    [message] = smtp_server.messages
    assert message["Subject"] == SAID[code]["reminder"]
    text, html = parts_of(message)
    for body in (text, html):
        assert SAID[code]["hello"] in body
        assert "It is time" not in body
    assert f'<html lang="{TAGS[code]}">' in html


def test_a_patient_who_chose_no_language_gets_the_clinic_s(alice, three, smtp_server):
    speaking(alice, "").choose_reminders(DAILY, time(18), set(), A_WEEK_BEFORE)

    with freeze_at(JUST_AFTER):
        run()

    [message] = smtp_server.messages
    assert message["Subject"] == "Time for your Relief Tracker check-in"
    assert "Hello Alice Archer," in parts_of(message)[0]


@pytest.mark.parametrize("code", ["es", "zh-hans"])
def test_the_reset_link_arrives_in_the_patient_s_language_whatever_the_browser_s(
    client, alice, three, smtp_server, code
):
    speaking(alice, code)

    client.post(FORGOT, {"identifier": "alice@example.com"}, HTTP_ACCEPT_LANGUAGE="en-GB")

    [message] = smtp_server.messages
    assert message["Subject"] == SAID[code]["reset"]
    text, html = parts_of(message)
    assert SAID[code]["reset_words"] in text
    for body in (text, html):
        assert SAID[code]["hello"] in body
        assert "Someone, probably you" not in body
    # The page that answered is the browser's: the e-mail did not change it.
    assert client.get(FORGOT, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode().count("Sign in")


def test_an_english_patient_asking_from_a_spanish_browser_gets_english(
    client, alice, three, smtp_server
):
    speaking(alice, "en-gb")

    client.post(FORGOT, {"identifier": "alice@example.com"}, HTTP_ACCEPT_LANGUAGE="es")

    [message] = smtp_server.messages
    assert message["Subject"] == "Choose a new Relief Tracker password"


# languages.language_for


def test_language_for_a_profile_or_its_user(alice, three):
    alice.language = "es"
    alice.save()

    assert languages.language_for(alice) == "es"
    assert languages.language_for(alice.user) == "es"


def test_language_for_someone_who_chose_none_is_the_clinic_s(alice, xavier, staff, three):
    assert languages.language_for(alice) == django_settings.LANGUAGE_CODE
    assert languages.language_for(xavier.user) == django_settings.LANGUAGE_CODE
    assert languages.language_for(staff) == django_settings.LANGUAGE_CODE
    assert languages.language_for(User(username="nobody")) == django_settings.LANGUAGE_CODE
    assert languages.language_for(None) == django_settings.LANGUAGE_CODE


def test_language_for_a_practitioner(xavier, three):
    xavier.language = "zh-hans"
    xavier.save()

    assert languages.language_for(xavier.user) == "zh-hans"


def test_a_language_the_clinic_no_longer_offers_falls_back_to_the_clinic_s(alice, settings):
    alice.language = "es"  # saved while offered; the clinic has since stopped offering it
    alice.save()
    settings.LANGUAGES = [("en-gb", "English")]

    assert languages.language_for(alice) == django_settings.LANGUAGE_CODE


# The answers to a request to erase the account: sent by staff, in the patient's words


def test_a_decline_arrives_in_the_patient_s_language_with_their_date_order(
    alice, three, staff_client, smtp_server, django_capture_on_commit_callbacks
):
    made = ask(with_address(speaking(alice, "zh-hans")))

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(admin_url(made, "decline/"), {"reason": "Kept until 2034."})

    [message] = smtp_server.messages
    assert message["Subject"] == "您删除账户的申请"
    text, html = parts_of(message)
    day = made.requested_at
    assert f"{day.year}年{day.month}月{day.day}日" in text
    assert "您可以像以前一样继续使用本应用。" in html


def test_the_erasure_done_arrives_in_spanish(
    alice, three, staff_client, smtp_server, django_capture_on_commit_callbacks
):
    made = ask(with_address(speaking(alice, "es")))

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(admin_url(made, "carry-out/"))

    [message] = smtp_server.messages
    assert message["Subject"] == "Su cuenta se ha borrado"
    assert "Ya no puede entrar" in parts_of(message)[0]
