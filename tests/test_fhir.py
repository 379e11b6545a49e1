"""The FHIR R4 export (issue 19, tracker/fhir.py): checked by an independent R4 validator
(fhirkit-rs, which models FHIR 4.0.1 and checks structure, cardinality, types and
primitive formats) and by our own checks of what it does not look at: the codes, the 0-10
range, each response against the questionnaire served, references inside the bundle."""

import json
import tracemalloc
from datetime import timedelta
from io import StringIO

import fhirkit
import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import NOW, add_history, make_entry
from tracker import fhir, symptoms
from tracker.models import (
    AuditEvent,
    GlobalImpression,
    Medicine,
    MedicineEvent,
    MnsiAnswer,
    Patient,
    SessionStatus,
    SideEffectReport,
    TreatmentSession,
    WeeklyAnswer,
)

pytestmark = pytest.mark.frozen_at(NOW)

QUESTIONNAIRE = "/fhir/Questionnaire/relief-check-in"
CODE_SYSTEM = "/fhir/CodeSystem/relief-tracker"


def bundle_of(patient):
    return json.loads("".join(fhir.chunks(patient, timezone.now())))


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/fhir+json"
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


def resources(bundle, kind=None):
    found = [entry["resource"] for entry in bundle["entry"]]
    return [r for r in found if kind is None or r["resourceType"] == kind]


@pytest.fixture
def demo_bundle(db):
    call_command("seed_demo", force=True, stdout=StringIO())
    patient = Patient.objects.get(user__username="demo.patient")
    return patient, bundle_of(patient)


@pytest.fixture
def everything(alice, frozen):
    """Alice with a check-in of each kind and every reported answer."""
    entry = make_entry(
        alice, NOW - timedelta(days=3), locations=["feet_left", "other"], note="Burning"
    )
    session = TreatmentSession.objects.create(
        patient=alice,
        practitioner=alice.practitioner,
        when=NOW - timedelta(days=2),
        status=SessionStatus.ATTENDED,
        notes="clinical-note-9q",
        points_used="ST36 secret-points",
    )
    session.save_clinic_scores({"pain": 4, "numbness": 5, "tingling": 6}, alice.practitioner)
    medicine = Medicine.objects.create(patient=alice, name="Pregabalin", dose="75 mg")
    MedicineEvent.objects.create(
        patient=alice,
        entry=entry,
        kind="changed",
        medicine=medicine,
        note="Dose up",
        occurred_at=entry.recorded_at,
    )
    WeeklyAnswer.objects.create(
        patient=alice, week_of=NOW.date(), sleep_interference=6, fell=True, answered_at=NOW
    )
    GlobalImpression.objects.create(patient=alice, session=session, answer=2, answered_at=NOW)
    SideEffectReport.objects.create(
        patient=alice, session=session, effects=["bruise", "soreness"], answered_at=NOW
    )
    MnsiAnswer.of(alice, [True] * 15, NOW).save()
    alice.record_number = "RN-77"
    alice.date_of_birth = NOW.date().replace(year=1950)
    alice.save()
    return alice


def test_the_demo_patient_s_bundle_passes_the_r4_validator(demo_bundle):
    _, bundle = demo_bundle

    assert fhirkit.FHIR_VERSION == "4.0.1"
    assert [str(issue) for issue in fhirkit.validate(bundle)] == []
    assert bundle["type"] == "collection"
    assert len(resources(bundle, "QuestionnaireResponse")) > 50


def test_the_definitions_pass_the_validator_and_are_served_at_their_canonical_urls(
    client, settings
):
    questionnaire = download_definition(client, QUESTIONNAIRE)
    code_system = download_definition(client, CODE_SYSTEM)

    for resource in (questionnaire, code_system):
        assert [str(issue) for issue in fhirkit.validate(resource)] == []
    assert questionnaire["url"] == f"{settings.SITE_URL}{QUESTIONNAIRE}"
    assert code_system["url"] == f"{settings.SITE_URL}{CODE_SYSTEM}"


def download_definition(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    return response.json()


def test_the_validator_rejects_broken_resources(demo_bundle):
    _, bundle = demo_bundle
    observation = resources(bundle, "Observation")[0]
    response = resources(bundle, "QuestionnaireResponse")[0]
    broken = [
        {k: v for k, v in observation.items() if k != "status"},  # a required element
        {**observation, "valueInteger": "5"},  # a number as text
        {**observation, "valueString": "five"},  # two values
        {**observation, "effectiveDateTime": "2026-13-40T25:00:00"},
        {**observation, "derivedFrom": "not a list of references"},
        {**response, "status": None, "answers": []},  # an element R4 does not have
        {**bundle, "entry": [{"resource": {**observation, "code": None}}]},
    ]
    for resource in broken:
        assert fhirkit.validate(resource), resource


def test_every_score_is_coded_in_range_and_derived_from_its_response(everything):
    bundle = bundle_of(everything)
    responses = {r["id"]: r for r in resources(bundle, "QuestionnaireResponse")}
    scores = [
        o
        for o in resources(bundle, "Observation")
        if o["code"]["text"] in {s.label for s in symptoms.SYMPTOMS}
    ]

    assert len(scores) == 3 * len(responses) == 6
    codes = {o["code"]["text"]: o["code"]["coding"] for o in scores}
    assert codes["Pain"][0] == {
        "system": "http://loinc.org",
        "code": "72514-3",
        "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    }
    assert codes["Numbness"] == [fhir.ours(fhir.SCORE_CODES["numbness"])]
    assert codes["Tingling"] == [fhir.ours(fhir.SCORE_CODES["tingling"])]
    for observation in scores:
        assert observation["status"] == "final"
        assert observation["category"] == [{"coding": [fhir.SURVEY]}]
        assert 0 <= observation["valueInteger"] <= 10
        (source,) = observation["derivedFrom"]
        response = responses[source["reference"].removeprefix("urn:uuid:")]
        item = next(i for i in response["item"] if i["text"] == observation["code"]["text"])
        assert item["answer"] == [{"valueInteger": observation["valueInteger"]}]


def test_times_are_when_it_was_felt_and_when_it_was_saved(alice, frozen):
    entry = make_entry(
        alice, NOW - timedelta(days=2), created_at=NOW - timedelta(hours=1)
    )  # backdated

    (observation, *_) = resources(bundle_of(alice), "Observation")

    assert observation["effectiveDateTime"] == fhir.instant(entry.recorded_at)
    assert observation["issued"] == fhir.instant(entry.created_at)


def test_each_response_matches_the_questionnaire_it_names(everything, client):
    questionnaire = download_definition(client, QUESTIONNAIRE)
    items = {item["linkId"]: item for item in questionnaire["item"]}
    answer_type = {"integer": "valueInteger", "choice": "valueCoding", "text": "valueString"}

    for response in resources(bundle_of(everything), "QuestionnaireResponse"):
        assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
        assert response["status"] == "completed"
        required = {link for link, item in items.items() if item.get("required")}
        assert required <= {item["linkId"] for item in response["item"]}
        for answered in response["item"]:
            item = items[answered["linkId"]]
            assert answered["answer"], answered
            for answer in answered["answer"]:
                (kind,) = answer
                assert kind == answer_type[item["type"]]
                if item["type"] == "integer":
                    assert 0 <= answer[kind] <= 10
                if item["type"] == "choice":
                    assert answer[kind] in [o["valueCoding"] for o in item["answerOption"]]
            if not item.get("repeats"):
                assert len(answered["answer"]) == 1


def test_every_code_of_ours_is_in_the_code_system_served(everything, client):
    served = download_definition(client, CODE_SYSTEM)
    known = {c["code"]: c["display"] for c in served["concept"]}

    text = json.dumps(bundle_of(everything))
    used = [
        coding
        for coding in walk(json.loads(text))
        if isinstance(coding, dict) and coding.get("system") == served["url"]
    ]
    assert len(used) > 10
    for coding in used:
        assert known[coding["code"]] == coding["display"]


def walk(value):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_every_reference_points_inside_the_bundle(everything):
    bundle = bundle_of(everything)
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}

    references = [v["reference"] for v in walk(bundle) if isinstance(v, dict) and "reference" in v]
    assert references
    assert set(references) <= full_urls
    assert len(full_urls) == len(bundle["entry"])  # no resource twice


def test_the_bundle_holds_what_was_reported_and_only_what_was_answered(everything):
    bundle = bundle_of(everything)
    observations = {o["code"]["coding"][0]["code"]: o for o in resources(bundle, "Observation")}

    assert observations["sleep-disturbance-nrs"]["valueInteger"] == 6
    assert observations["fall-since-last-week"]["valueBoolean"] is True
    assert observations["global-impression-of-change"]["valueCodeableConcept"]["text"] == (
        "Much better"
    )
    effects = observations["side-effects-after-session"]["component"]
    assert [c["code"]["text"] for c in effects] == ["A bruise", "Soreness"]
    assert observations["mnsi-questionnaire-score"]["valueInteger"] == 11
    assert observations["medicine-changed"]["note"] == [{"text": "Dose up"}]
    (medicine,) = resources(bundle, "MedicationStatement")
    assert medicine["medicationCodeableConcept"] == {"text": "Pregabalin"}
    assert medicine["dosage"] == [{"text": "75 mg"}]
    (procedure,) = resources(bundle, "Procedure")
    assert procedure["status"] == "completed"


def test_no_more_identity_than_needed_and_no_practitioner_notes(everything):
    text = json.dumps(bundle_of(everything))
    (patient,) = resources(json.loads(text), "Patient")

    assert set(patient) == {"resourceType", "id", "name", "identifier", "birthDate"}
    assert patient["identifier"][0]["value"] == "RN-77"
    for secret in ("clinical-note-9q", "secret-points", everything.user.username, "@"):
        assert secret not in text


def test_scores_taken_in_clinic_name_the_practitioner_as_author(everything):
    bundle = bundle_of(everything)
    (practitioner,) = resources(bundle, "Practitioner")
    authors = [r["author"]["reference"] for r in resources(bundle, "QuestionnaireResponse")]

    assert sorted(authors) == sorted(
        [f"urn:uuid:{everything.public_id}", f"urn:uuid:{practitioner['id']}"]
    )


def test_the_practitioner_downloads_it_and_the_export_is_audited(xavier_client, everything):
    bundle = download(xavier_client, f"/practice/patients/{everything.public_id}/fhir.json")

    assert not fhirkit.validate(bundle)
    assert AuditEvent.objects.filter(action="export", object_type="fhir").count() == 1


def test_the_patient_downloads_their_own(alice_client, everything):
    bundle = download(alice_client, "/account/my-data.fhir.json")

    (patient,) = resources(bundle, "Patient")
    assert patient["id"] == str(everything.public_id)
    assert AuditEvent.objects.filter(action="export", object_type="fhir").count() == 1


def test_another_practitioner_gets_not_found(yara_client, everything):
    response = yara_client.get(f"/practice/patients/{everything.public_id}/fhir.json")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_two_years_stream_in_bounded_memory_and_a_fixed_number_of_queries(
    alice, bob, frozen, django_assert_max_num_queries
):
    add_history(alice, 1000, NOW)
    add_history(bob, 2000, NOW)

    def peak(patient):
        tracemalloc.start()
        size = sum(len(chunk) for chunk in fhir.chunks(patient, NOW))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return size, top

    small_size, small_peak = peak(alice)
    with django_assert_max_num_queries(10):
        big_size, big_peak = peak(bob)

    print(f"1000 entries: {small_size:,} bytes, peak {small_peak:,}")
    print(f"2000 entries: {big_size:,} bytes, peak {big_peak:,}")
    # Twice the history, twice the text, but not twice the memory: entries are read
    # fhir.CHUNK at a time and each resource is written out as it is made.
    assert big_size > 1.9 * small_size
    assert big_peak < 1.3 * small_peak
    assert big_peak < big_size / 10
