"""The MNSI questionnaire (tracker/mnsi.py): scored as published, asked every 4 weeks
only where the clinic turns it on (CLINIC_MNSI)."""

import csv
import io
import json
import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import NOW, body, detail_url, text, weekly_questions_answered
from tracker import mnsi
from tracker.models import MnsiAnswer

pytestmark = pytest.mark.frozen_at(NOW)

YES = [True] * 15
NO = [False] * 15


def test_all_yes_scores_the_items_scored_for_yes():
    # Items 1-3, 5-6, 8-9, 11-12, 14-15; not 4, 10 (not scored) nor 7, 13 (scored for no).
    assert mnsi.score(YES) == 11


def test_all_no_scores_items_7_and_13():
    assert mnsi.score(NO) == 2


def test_the_highest_score_is_13():
    worst = [number not in (7, 13) for number in range(1, 16)]
    assert mnsi.score(worst) == mnsi.MAX_SCORE == 13


@pytest.mark.parametrize("number", [4, 10])
def test_items_4_and_10_are_not_scored(number):
    answers = list(NO)
    answers[number - 1] = True
    assert mnsi.score(answers) == mnsi.score(NO)


@pytest.mark.parametrize("number", range(1, 16))
def test_each_item_moves_the_score_as_published(number):
    answers = list(NO)
    answers[number - 1] = True
    change = mnsi.score(answers) - mnsi.score(NO)
    expected = {**dict.fromkeys(mnsi.POINT_FOR_YES, 1), 7: -1, 13: -1, 4: 0, 10: 0}[number]
    assert change == expected


@pytest.mark.parametrize("answers", [YES[:14], [*YES, True], [None] * 15, ["Y"] * 15])
def test_anything_but_15_yes_or_no_answers_is_refused(answers):
    with pytest.raises(ValueError):
        mnsi.score(answers)


def test_answers_are_stored_as_15_letters_and_read_back():
    answers = [number % 3 == 0 for number in range(15)]
    assert mnsi.decode(mnsi.encode(answers)) == answers
    assert len(mnsi.encode(answers)) == 15


def test_every_item_is_a_question():
    assert len(mnsi.ITEMS) == 15
    assert all(item.endswith("?") for item in mnsi.ITEMS)


@pytest.mark.parametrize(
    ("answers", "score"),
    [("Y" * 14, 11), ("Y" * 15, 14), ("X" * 15, 0), ("Y" * 15, None), ("", 0)],
)
def test_the_database_refuses_incomplete_or_unscored_answers(alice, answers, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        MnsiAnswer.objects.create(patient=alice, answers=answers, score=score, answered_at=NOW)


def check_in(client, pain="5"):
    data = {"pain": pain, "numbness": "4", "tingling": "3", "when": "now"}
    return client.post("/log/", {**data, "token": str(uuid.uuid4())})


def test_it_is_not_asked_unless_the_clinic_turns_it_on(alice_client, alice, frozen):
    weekly_questions_answered(alice)

    assert check_in(alice_client)["Location"] == "/history/"


@pytest.fixture
def mnsi_on(settings):
    settings.CLINIC_MNSI = True


def test_it_is_asked_every_4_weeks_and_scored(alice_client, alice, frozen, mnsi_on):
    weekly_questions_answered(alice)
    response = check_in(alice_client)
    url = response["Location"]
    page = alice_client.get(url).content.decode()
    assert "15 yes-or-no questions about your legs and feet" in page
    assert mnsi.ITEMS[6] in page

    answers = {f"mnsi_{n}": "True" if n in (1, 2, 7) else "False" for n in range(1, 16)}
    alice_client.post(url, answers)

    saved = MnsiAnswer.objects.get(patient=alice)
    assert saved.answers == "YYNNNNYNNNNNNNN"
    assert saved.score == 3  # 1 and 2 for yes, 13 for no; 7 answered yes scores nothing
    assert check_in(alice_client, pain="6")["Location"] == "/history/"

    # Four weeks on it comes back.
    MnsiAnswer.objects.update(answered_at=NOW - timedelta(days=mnsi.INTERVAL_DAYS, seconds=1))
    assert check_in(alice_client, pain="7")["Location"] != "/history/"


def test_some_answers_but_not_all_are_refused(alice_client, alice, frozen, mnsi_on):
    weekly_questions_answered(alice)
    url = check_in(alice_client)["Location"]

    response = alice_client.post(url, {"mnsi_1": "True", "mnsi_2": "False"})

    assert response.status_code == 200
    assert "Please answer all 15 questions about your legs and feet" in response.content.decode()
    assert not MnsiAnswer.objects.exists()


def test_left_empty_it_is_stored_as_skipped(alice_client, alice, frozen, mnsi_on):
    weekly_questions_answered(alice)
    url = check_in(alice_client)["Location"]

    alice_client.post(url, {})

    skipped = MnsiAnswer.objects.get()
    assert (skipped.answers, skipped.score) == ("", None)
    assert check_in(alice_client, pain="6")["Location"] == "/history/"


# The practitioner's pages, the exports, the admin.


def answered(patient, at, answers):
    return MnsiAnswer.of(patient, answers, at).save()


def test_the_practitioner_sees_each_score_and_its_date(xavier_client, alice, frozen, mnsi_on):
    answered(alice, NOW - timedelta(days=30), YES)
    answered(alice, NOW - timedelta(days=2), None)
    answered(alice, NOW - timedelta(days=1), NO)

    page = text(body(xavier_client.get(detail_url(alice), {"range": "all"})))

    assert "MNSI questionnaire" in page
    # Newest first (the tags' text is joined with spaces here).
    assert "Mon 15 Jun 2026 : score 2 of 13 Sun 14 Jun 2026 : skipped" in page
    assert "Sun 17 May 2026 : score 11 of 13" in page
    report = text(body(xavier_client.get(f"/practice/patients/{alice.public_id}/report/")))
    assert "score 2 of 13" in report


def test_with_the_setting_off_the_pages_do_not_read_it(xavier_client, alice, frozen):
    answered(alice, NOW - timedelta(days=1), NO)

    assert "MNSI" not in body(xavier_client.get(detail_url(alice)))


def test_the_csv_has_a_row_per_questionnaire(xavier_client, alice, frozen, mnsi_on):
    answered(alice, NOW - timedelta(days=1), YES)
    answered(alice, NOW - timedelta(hours=1), None)

    response = xavier_client.get(f"/practice/patients/{alice.public_id}/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response).decode())))

    mnsi_rows = [row for row in rows if row["record"] == "mnsi"]
    assert [row["mnsi_score"] for row in mnsi_rows] == ["11", ""]
    assert mnsi_rows[1]["note"] == "skipped"


def test_the_patient_s_download_holds_every_answer_even_with_the_setting_off(
    alice_client, alice, frozen
):
    answered(alice, NOW - timedelta(days=1), NO)

    data = json.loads(b"".join(alice_client.get("/account/my-data.json")))

    (saved,) = data["mnsi"]
    assert (saved["score"], saved["out_of"]) == (2, 13)
    assert saved["answers"][6] == {"question": mnsi.ITEMS[6], "yes": False}


def test_the_admin_says_why_it_is_off_and_where_the_licence_stands(staff_client, frozen):
    page = body(staff_client.get("/admin/tracker/mnsianswer/"))

    assert "Not asked: CLINIC_MNSI is off" in page
    assert "permission not required" in page
    assert "licence for commercial use" in page
