"""Which language a page speaks (issue 20, tracker/languages.py), and the message files.

By default the clinic's language, Spanish and Chinese are offered (CLINIC_LANGUAGES
narrows it); every message a patient can see is translated into both.
"""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.conftest import PASSWORD, body, client_for

ROOT = Path(__file__).resolve().parent.parent
ALL = [("en-gb", "English"), ("es", "Español"), ("zh-hans", "简体中文")]
CATALOGUES = {
    "es": ROOT / "locale/es/LC_MESSAGES/django.po",
    "zh-hans": ROOT / "locale/zh_Hans/LC_MESSAGES/django.po",
}


@pytest.fixture
def three(settings):
    settings.LANGUAGES = ALL


def test_by_default_english_spanish_and_chinese_are_offered(client, db):
    assert [code for code, _ in settings.LANGUAGES] == [settings.LANGUAGE_CODE, "es", "zh-hans"]
    page = body(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es"))

    assert '<html lang="es">' in page
    assert "language-switcher" in page


def test_a_clinic_may_offer_its_own_language_alone(client, db, settings):
    settings.LANGUAGES = [("en-gb", "English")]
    page = body(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es"))

    assert '<html lang="en-GB">' in page
    assert "Sign in" in page
    assert "language-switcher" not in page


@pytest.mark.parametrize(
    ("accept", "lang", "word"),
    [("es-ES,es;q=0.9", 'lang="es"', "Entrar"), ("zh-CN,zh;q=0.9", 'lang="zh-Hans"', "登录")],
)
def test_signed_out_pages_follow_the_browser(client, db, three, accept, lang, word):
    page = body(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept))

    assert f"<html {lang}>" in page
    assert word in page


def test_the_switcher_sets_the_language_for_the_next_pages(client, db, three):
    page = body(client.get("/accounts/login/"))
    assert 'class="language-switcher"' in page and 'lang="zh-hans"' in page

    client.post("/language/", {"language": "es", "next": "/accounts/login/"})

    assert "Entrar" in body(client.get("/accounts/login/"))


def test_a_patient_chooses_their_language_on_the_account_page(alice, db, three):
    client = client_for(alice.user)
    assert "Use this language" in body(client.get("/account/"))

    response = client.post("/account/language/", {"language": "es"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == "es"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = body(client.get("/log/", HTTP_ACCEPT_LANGUAGE="en-GB"))
    assert '<html lang="es">' in page and "Cerrar sesión" in page


def test_an_unknown_language_is_refused_and_nothing_changes(alice, db, three):
    client = client_for(alice.user)

    client.post("/account/language/", {"language": "xx"})

    alice.refresh_from_db()
    assert alice.language == ""
    assert "Sign out" in body(client.get("/log/"))


def test_the_chosen_language_is_used_from_the_sign_in_on(client, alice, db, three):
    alice.language = "zh-hans"
    alice.save()

    client.post("/accounts/login/", {"username": alice.user.username, "password": PASSWORD})

    assert "退出" in body(client.get("/log/", HTTP_ACCEPT_LANGUAGE="en-GB"))


def test_the_account_page_offers_no_choice_when_one_language_is_offered(alice, db, settings):
    settings.LANGUAGES = [("en-gb", "English")]
    assert "Use this language" not in body(client_for(alice.user).get("/account/"))


# --- The message files --------------------------------------------------------------


# Files only practitioners and clinic staff see: their strings are marked, and may stay
# English for now (issue 20). A string that also occurs anywhere else must be translated.
PRACTITIONER_ONLY = {
    "tracker/admin.py",
    "tracker/models.py",
    "tracker/worklist.py",
    "tracker/views/practice.py",
    "tracker/views/reviews.py",
    "tracker/views/discharge.py",
    "tracker/views/team.py",
    # The Team page: clinic staff only.
    "tracker/views/staff.py",
    "tracker/views/export.py",
    *(
        f"templates/tracker/{name}"
        for name in [
            "worklist.html",
            "worklist_changes.html",
            "worklist_latest.html",
            "worklist_sparks.html",
            "sparkline.svg",
            "patient_detail.html",
            "patient_add.html",
            "patient_course.html",
            "patient_team.html",
            "patient_reminders.html",
            "patient_sign_in.html",
            "invitation_sent.html",
            "sign_in_sheet.html",
            "staff_team.html",
            "staff_invite.html",
            "staff_member.html",
            "staff_deactivate.html",
            "email/team_invitation.txt",
            "email/team_invitation.html",
            "session_form.html",
            "session_delete.html",
            "session_outcome.html",
            "session_status.html",
            "since_session.html",
            "since_session.txt",
            "progress_table.html",
            "period_events.html",
            "mnsi_scores.html",
            "report.html",
        ]
    ),
}


def seen_by_patients(entry):
    return any(
        path not in PRACTITIONER_ONLY and not path.startswith("templates/admin/")
        for path, _line in entry.occurrences
    )


@pytest.mark.parametrize("language", CATALOGUES)
def test_every_message_a_patient_sees_is_translated_and_none_is_fuzzy(language):
    catalogue = polib.pofile(str(CATALOGUES[language]))

    assert [e.msgid for e in catalogue.untranslated_entries() if seen_by_patients(e)] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert [e.msgid for e in catalogue.obsolete_entries()] == []


def test_both_languages_translate_the_same_messages():
    ids = {code: {e.msgid for e in polib.pofile(str(path))} for code, path in CATALOGUES.items()}

    assert ids["es"] == ids["zh-hans"]


def test_every_marked_template_string_is_in_the_message_files():
    """A string marked in a template but missing from the .po files (makemessages not
    run) would show in English on a translated page."""
    marked = set()
    for template in (ROOT / "templates").rglob("*.html"):
        marked |= set(re.findall(r'{%\s*translate\s+"([^"]+)"', template.read_text()))
    known = {e.msgid for e in polib.pofile(str(CATALOGUES["es"]))}

    assert marked, "no marked strings found: is the pattern right?"
    assert sorted(marked - known) == []


def test_the_switcher_goes_back_only_to_a_page_of_this_site(client, db, three):
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})

    assert response["Location"] == "/accounts/login/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_names_each_language_in_its_own_words(client, db, three):
    page = body(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN"))

    switcher = page.split('class="language-switcher"')[1].split("</form>")[0]
    assert ">English</button>" in switcher and ">Español</button>" in switcher
    assert "英语" not in switcher


@pytest.mark.parametrize("language", CATALOGUES)
def test_the_message_files_stay_readable_by_gnu_gettext(language):
    """makemessages (msgmerge) refuses a file with a previous plural id but no previous
    id ("#| msgid_plural" alone), which polib writes when only the id was cleared."""
    catalogue = polib.pofile(str(CATALOGUES[language]))

    assert [e.msgid for e in catalogue if e.previous_msgid_plural and not e.previous_msgid] == []
