"""The MNSI questionnaire (tracker/mnsi.py): scored as published, asked every 4 weeks
only where the clinic turns it on (CLINIC_MNSI)."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import NOW, weekly_questions_answered
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
