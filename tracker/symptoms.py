"""The symptoms a patient rates at each check-in, declared once.

Everything that shows or counts symptoms loops over SYMPTOMS: the check-in form and its
message, the tables, the chart and its legend, the CSV and JSON downloads, the report, the
worklist, the seed and benchmark scripts. To add a symptom: add it here, add its 0-10
column to SymptomEntry (with a migration), and tag the learn pages that discuss it.

Pure Python (no Django), so that scores.py and charts.py can read it too.
"""

from dataclasses import dataclass


def gettext_noop(message):
    """Marks a message for translation (makemessages); the Django layer translates it."""
    return message


@dataclass(frozen=True)
class Symptom:
    name: str  # the SymptomEntry column, and the key everywhere else
    label: str  # "Pain": headings, legends, the check-in question (a message id)
    description: str  # the hint under the check-in question, in plain words (a message id)
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
        gettext_noop("Pain"),
        gettext_noop("Any aching, burning, sharp or stabbing pain."),
        "#D55E00",
        "none",
        "circle",
    ),
    Symptom(
        "numbness",
        gettext_noop("Numbness"),
        gettext_noop("Loss of feeling, like a hand or foot that has ‘gone to sleep’."),
        "#0072B2",
        "6 4",
        "square",
    ),
    Symptom(
        "tingling",
        gettext_noop("Tingling"),
        gettext_noop("Pins and needles, prickling or buzzing."),
        "#009E73",
        "2 3",
        "triangle",
    ),
)

NAMES = tuple(symptom.name for symptom in SYMPTOMS)
BY_NAME = {symptom.name: symptom for symptom in SYMPTOMS}


def in_words(symptoms=SYMPTOMS, gettext=gettext_noop) -> str:
    """ "pain, numbness and tingling": the symptoms as a phrase inside a sentence.

    English as it stands; the Django layer passes its gettext for the user's language."""
    words = [gettext(symptom.label).lower() for symptom in symptoms]
    return listed(words, gettext)


def listed(words, gettext=gettext_noop) -> str:
    """ "a, b and c": words as a list inside a sentence."""
    if len(words) == 1:
        return words[0]
    return gettext("%(items)s and %(last)s") % {
        "items": gettext(", ").join(words[:-1]),
        "last": words[-1],
    }
