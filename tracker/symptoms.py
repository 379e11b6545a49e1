"""The symptoms a patient rates at each check-in, declared once.

Everything that shows or counts symptoms loops over SYMPTOMS: the check-in form and its
message, the tables, the chart and its legend, the CSV and JSON downloads, the report, the
worklist, the seed and benchmark scripts. To add a symptom: add it here, add its 0-10
column to SymptomEntry (with a migration), and tag the learn pages that discuss it.

Pure Python (no Django), so that scores.py and charts.py can read it too.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Symptom:
    name: str  # the SymptomEntry column, and the key everywhere else
    label: str  # "Pain": headings, legends, the check-in question
    description: str  # the hint under the check-in question, in plain words
    colour: str  # chart line and marker
    dash: str  # stroke-dasharray of its chart line; "none" for a solid line
    marker: str  # marker shape on the chart: "circle", "square" or "triangle"

    @property
    def initial(self) -> str:
        """One letter for narrow table columns ("P / N / T")."""
        return self.label[0]


# Okabe-Ito colours, safe for the common colour-vision deficiencies; each has at least
# 3:1 contrast on white. Dash and marker differ too, so the chart still reads in greyscale.
SYMPTOMS = (
    Symptom(
        "pain",
        "Pain",
        "Any aching, burning, sharp or stabbing pain.",
        "#D55E00",
        "none",
        "circle",
    ),
    Symptom(
        "numbness",
        "Numbness",
        "Loss of feeling, like a hand or foot that has \u2018gone to sleep\u2019.",
        "#0072B2",
        "6 4",
        "square",
    ),
    Symptom(
        "tingling",
        "Tingling",
        "Pins and needles, prickling or buzzing.",
        "#009E73",
        "2 3",
        "triangle",
    ),
)

NAMES = tuple(symptom.name for symptom in SYMPTOMS)
BY_NAME = {symptom.name: symptom for symptom in SYMPTOMS}


def in_words(symptoms=SYMPTOMS) -> str:
    """ "pain, numbness and tingling": the symptoms as a phrase inside a sentence."""
    words = [symptom.label.lower() for symptom in symptoms]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
