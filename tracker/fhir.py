"""One patient's record as a FHIR R4 (4.0.1) Bundle of type "collection" (issue 19).

What goes in, and why so little identity: a receiving GP or oncology system needs to
match the patient (name, date of birth, the clinic's record number) and to read the
scores; it does not need the patient's e-mail, username or the practitioners' notes.

- Patient, Practitioner (the responsible one, and whoever entered scores in clinic);
- per check-in, a QuestionnaireResponse against our versioned check-in Questionnaire,
  and an Observation per score `derivedFrom` it (effectiveDateTime: when it was felt;
  issued: when it was saved);
- per attended session, a Procedure (no notes, no points: those are the practitioner's);
- what patients report beside the scores: medicines (MedicationStatement), extra doses
  and changes, weekly answers, impressions of change, side effects and the MNSI, each as
  an Observation in our own code system.

Codes: pain is LOINC 72514-3 ("Pain severity - 0-10 verbal numeric rating [Score] -
Reported", checked in LOINC's listing), with valueInteger. LOINC has no 0-10 code for
the other symptoms, so those and everything else of ours are in the code system that
the app serves itself (code_system_url()). SNOMED CT codes for the findings, body sites and
acupuncture are not sent: we could not check them against a SNOMED CT browser, and a
wrong code in someone's record is worse than none.

The bundle is written piece by piece (chunks()): entries are read with iterator(), so a
long history is never held in memory at once.
"""

import json
import uuid

from django.conf import settings
from django.utils import timezone, translation

from tracker import mnsi, symptoms
from tracker.models import (
    BodyLocation,
    ImpressionOfChange,
    MedicineEventKind,
    SessionStatus,
    SideEffect,
)
from tracker.reported import Reported

VERSION = "1"
QUESTIONNAIRE_ID = "relief-check-in"
CODE_SYSTEM_ID = "relief-tracker"
LOINC = "http://loinc.org"
PAIN_LOINC = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
SURVEY = {"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}
# Ids of our resources are UUIDs made from the app's own ids, so that two exports of one
# record name the same check-in the same way.
NAMESPACE = uuid.UUID("5f0b6c4e-7a51-4c8e-9a53-2f6d1e0c9b11")
CHUNK = 500


def base_url():
    return f"{settings.SITE_URL}/fhir"


def questionnaire_url():
    return f"{base_url()}/Questionnaire/{QUESTIONNAIRE_ID}"


def code_system_url():
    return f"{base_url()}/CodeSystem/{CODE_SYSTEM_ID}"


# --- Our code system: one home for every code of ours ---------------------------------

SCORE_CODES = {
    s.name: (f"{s.name}-nrs", f"{s.label}, 0-10 numeric rating, reported by the patient")
    for s in symptoms.SYMPTOMS
}
OTHER_CODES = {
    "location": ("symptom-location", "Where the patient feels the symptoms"),
    "note": ("check-in-note", "The patient's note at a check-in"),
    "extra_dose": ("extra-dose", "Extra dose of a medicine, reported by the patient"),
    "changed": ("medicine-changed", "Change of medicine, reported by the patient"),
    "sleep": (
        "sleep-disturbance-nrs",
        "Sleep disturbed by symptoms last night, 0-10, reported by the patient",
    ),
    "fell": ("fall-since-last-week", "A fall since last week, reported by the patient"),
    "impression": (
        "global-impression-of-change",
        "Patient Global Impression of Change since treatment began, 1 (very much better) "
        "to 7 (very much worse)",
    ),
    "side_effects": ("side-effects-after-session", "Side effects since a treatment session"),
    "mnsi": ("mnsi-questionnaire-score", f"MNSI questionnaire score, 0 to {mnsi.MAX_SCORE}"),
    "acupuncture": ("acupuncture-session", "Acupuncture treatment session"),
}
# Our code system's displays are English whatever language a page speaks: the choices'
# labels are translated for people (issue 20), and read here untranslated, as plain text.
with translation.override(None):
    LOCATION_CODES = {
        value: (f"location-{value}", str(label)) for value, label in BodyLocation.choices
    }
    SIDE_EFFECT_CODES = {
        value: (f"side-effect-{value}", str(label)) for value, label in SideEffect.choices
    }
    IMPRESSION_CODES = {
        value: (f"impression-{value}", str(label)) for value, label in ImpressionOfChange.choices
    }


def all_codes():
    """(code, display) of every concept in our code system."""
    groups = (SCORE_CODES, OTHER_CODES, LOCATION_CODES, SIDE_EFFECT_CODES, IMPRESSION_CODES)
    return [pair for group in groups for pair in group.values()]


def ours(pair):
    code, display = pair
    return {"system": code_system_url(), "code": code, "display": display}


def concept(pair, text=None):
    return {"coding": [ours(pair)], "text": text or pair[1]}


def score_concept(name):
    """What a score is: LOINC for pain, our own code for the others (LOINC has none)."""
    label = symptoms.BY_NAME[name].label
    if name == "pain":
        code, display = PAIN_LOINC
        return {
            "coding": [
                {"system": LOINC, "code": code, "display": display},
                ours(SCORE_CODES[name]),
            ],
            "text": label,
        }
    return concept(SCORE_CODES[name], label)


def code_system():
    return {
        "resourceType": "CodeSystem",
        "id": CODE_SYSTEM_ID,
        "url": code_system_url(),
        "version": VERSION,
        "name": "ReliefTracker",
        "title": "Relief Tracker: what patients report",
        "status": "active",
        "experimental": False,
        "publisher": settings.CLINIC_NAME,
        "description": "Codes for the 0-10 ratings of the symptoms (LOINC has one for pain "
        "only) and for the other answers patients give in Relief Tracker. Ratings of "
        "sleep disturbance, falls and side effects are the app's own questions, not "
        "validated instruments.",
        "caseSensitive": True,
        "content": "complete",
        "concept": [{"code": code, "display": display} for code, display in all_codes()],
    }


# --- The check-in questionnaire --------------------------------------------------------


def questionnaire():
    """The check-in as a Questionnaire: each QuestionnaireResponse names its url|version."""
    scale = [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 10},
    ]
    items = [
        {
            "linkId": name,
            "code": score_concept(name)["coding"],
            "text": f"{symptom.label} (0 none, 10 the worst you can imagine)",
            "type": "integer",
            "required": True,
            "extension": scale,
        }
        for name, symptom in symptoms.BY_NAME.items()
    ]
    items += [
        {
            "linkId": "locations",
            "code": [ours(OTHER_CODES["location"])],
            "text": "Where do you feel it?",
            "type": "choice",
            "repeats": True,
            "answerOption": [{"valueCoding": ours(pair)} for pair in LOCATION_CODES.values()],
        },
        {
            "linkId": "note",
            "code": [ours(OTHER_CODES["note"])],
            "text": "Anything else?",
            "type": "text",
        },
    ]
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": questionnaire_url(),
        "version": VERSION,
        "name": "ReliefTrackerCheckIn",
        "title": "Relief Tracker check-in",
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": settings.CLINIC_NAME,
        "item": items,
    }


# --- One patient's bundle --------------------------------------------------------------


def instant(moment):
    return timezone.localtime(moment).isoformat(timespec="seconds")


def urn(value):
    return f"urn:uuid:{value}"


def made_id(*parts):
    return uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts))


def ref(resource):
    return {"reference": urn(resource["id"])}


def patient_resource(patient):
    resource = {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "name": [{"text": patient.display_name}],
    }
    if patient.record_number:
        resource["identifier"] = [
            {"system": f"{base_url()}/record-number", "value": patient.record_number}
        ]
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource


def practitioner_resource(practitioner):
    return {
        "resourceType": "Practitioner",
        "id": str(made_id("practitioner", practitioner.pk)),
        "name": [{"text": practitioner.display_name}],
    }


def check_in_resources(entry, subject, author):
    """The QuestionnaireResponse of one check-in and an Observation per score."""
    items = [
        {"linkId": name, "text": symptom.label, "answer": [{"valueInteger": getattr(entry, name)}]}
        for name, symptom in symptoms.BY_NAME.items()
    ]
    if entry.locations:
        items.append(
            {
                "linkId": "locations",
                "text": "Where do you feel it?",
                "answer": [
                    {"valueCoding": ours(LOCATION_CODES[value])}
                    for value in entry.locations
                    if value in LOCATION_CODES
                ],
            }
        )
    if entry.note:
        items.append(
            {"linkId": "note", "text": "Anything else?", "answer": [{"valueString": entry.note}]}
        )
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": str(entry.public_id),
        "questionnaire": f"{questionnaire_url()}|{VERSION}",
        "status": "completed",
        "subject": subject,
        "authored": instant(entry.created_at),
        "author": author,
        "source": subject,
        "item": items,
    }
    observations = [
        {
            "resourceType": "Observation",
            "id": str(made_id("entry", entry.public_id, name)),
            "status": "final",
            "category": [{"coding": [SURVEY]}],
            "code": score_concept(name),
            "subject": subject,
            "effectiveDateTime": instant(entry.recorded_at),
            "issued": instant(entry.created_at),
            "performer": [author],
            "valueInteger": getattr(entry, name),
            "derivedFrom": [ref(response)],
        }
        for name in symptoms.NAMES
    ]
    return [response, *observations]


def session_resource(session, subject, performer):
    return {
        "resourceType": "Procedure",
        "id": str(session.public_id),
        "status": "completed",
        "code": concept(OTHER_CODES["acupuncture"], "Acupuncture"),
        "subject": subject,
        "performedDateTime": instant(session.when),
        "performer": [{"actor": performer}],
    }


def reported_observation(key, ident, subject, at, **value):
    """An Observation of ours: what patients report beside the scores."""
    return {
        "resourceType": "Observation",
        "id": str(made_id(key, ident)),
        "status": "final",
        "category": [{"coding": [SURVEY]}],
        "code": concept(OTHER_CODES[key]),
        "subject": subject,
        "effectiveDateTime": instant(at),
        "performer": [subject],
        **value,
    }


def medicine_resource(medicine, subject):
    resource = {
        "resourceType": "MedicationStatement",
        "id": str(medicine.public_id),
        "status": "active" if medicine.stopped is None else "completed",
        "medicationCodeableConcept": {"text": medicine.name},
        "subject": subject,
        "dateAsserted": instant(medicine.created_at),
        "informationSource": subject,
    }
    period = {}
    if medicine.started:
        period["start"] = medicine.started.isoformat()
    if medicine.stopped:
        period["end"] = medicine.stopped.isoformat()
    if period:
        resource["effectivePeriod"] = period
    if medicine.dose:
        resource["dosage"] = [{"text": medicine.dose}]
    return resource


def reported_resources(patient, subject):
    """Medicines, extra doses and changes, weekly answers, impressions of change, side
    effects and the MNSI: only what was answered (a skipped question says nothing). Read
    as the practitioner's pages and the patient's download read them (reported.Reported)."""
    for medicine in patient.medicines.all():
        yield medicine_resource(medicine, subject)
    found = Reported(patient, mnsi=True)
    for event in found.medicine_events:
        key = "extra_dose" if event.kind == MedicineEventKind.EXTRA_DOSE else "changed"
        resource = reported_observation(key, event.pk, subject, event.occurred_at)
        resource["valueBoolean"] = True
        if event.medicine_id:
            resource["focus"] = [{"reference": urn(event.medicine.public_id)}]
        if event.note:
            resource["note"] = [{"text": event.note}]
        yield resource
    for answer in found.weekly_answers:
        if answer.sleep_interference is not None:
            yield reported_observation(
                "sleep",
                answer.pk,
                subject,
                answer.answered_at,
                valueInteger=answer.sleep_interference,
            )
        if answer.fell is not None:
            yield reported_observation(
                "fell", answer.pk, subject, answer.answered_at, valueBoolean=answer.fell
            )
    for impression in found.impressions:
        if impression.answer is None:
            continue
        resource = reported_observation(
            "impression",
            impression.pk,
            subject,
            impression.answered_at,
            valueCodeableConcept=concept(IMPRESSION_CODES[impression.answer]),
        )
        resource["partOf"] = [{"reference": urn(impression.session.public_id)}]
        yield resource
    for report in found.side_effects:
        if not report.effects:
            continue
        resource = reported_observation(
            "side_effects",
            report.pk,
            subject,
            report.answered_at,
            component=[
                {"code": concept(SIDE_EFFECT_CODES[effect]), "valueBoolean": True}
                for effect in report.effects
                if effect in SIDE_EFFECT_CODES
            ],
        )
        resource["partOf"] = [{"reference": urn(report.session.public_id)}]
        yield resource
    for answer in found.mnsi:
        if answer.score is not None:
            yield reported_observation(
                "mnsi", answer.pk, subject, answer.answered_at, valueInteger=answer.score
            )


def resources(patient):
    """Every resource of the patient's bundle, one at a time."""
    yield (patient_json := patient_resource(patient))
    subject = ref(patient_json)
    named = {}  # practitioner pk -> their resource, each sent once

    def practitioner(who):
        """(reference, the resource if it is new to the bundle, else None)."""
        new = who.pk not in named
        if new:
            named[who.pk] = practitioner_resource(who)
        return ref(named[who.pk]), named[who.pk] if new else None

    responsible, resource = practitioner(patient.practitioner)
    yield resource
    entries = patient.entries.select_related("entered_by").order_by("recorded_at", "pk")
    for entry in entries.iterator(chunk_size=CHUNK):
        author = subject
        if entry.entered_by is not None:
            author, resource = practitioner(entry.entered_by)
            if resource:
                yield resource
        yield from check_in_resources(entry, subject, author)
    held = patient.sessions.filter(status=SessionStatus.ATTENDED).select_related("practitioner")
    for session in held.order_by("when").iterator(chunk_size=CHUNK):
        performer, resource = practitioner(session.practitioner)
        if resource:
            yield resource
        yield session_resource(session, subject, performer)
    yield from reported_resources(patient, subject)


def chunks(patient, now):
    """The bundle as JSON text, a resource at a time (for a StreamingHttpResponse)."""
    head = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": instant(now),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "entry": ['
    for n, resource in enumerate(resources(patient)):
        entry = {"fullUrl": urn(resource["id"]), "resource": resource}
        yield ("," if n else "") + json.dumps(entry, ensure_ascii=False)
    yield "]}"
