"""The Michigan Neuropathy Screening Instrument's patient questionnaire: 15 yes/no items,
scored as published. Pure Python (no Django).

Sources: Feldman EL et al., Diabetes Care 1994;17:1281-1289 (the instrument); Herman WH
et al., Diabet Med 2012;29:937-944 (its 15-item questionnaire and examination); the
University of Michigan's "How to use the MNSI", which scores it thus: each "yes" to
items 1-3, 5-6, 8-9, 11-12 and 14-15 is one point, each "no" to items 7 and 13 is one
point; items 4 (circulation) and 10 (general weakness) are not scored. So the score runs
from 0 to 13, higher meaning more symptoms of neuropathy. We show the score and its
date, not a verdict: cut-offs differ between studies.

Licence: PhenX (protocol 140401) lists the questionnaire "permission not required"; the
University of Michigan may require a licence for commercial use, granted case by case.
The app therefore asks it only where the clinic turns it on (CLINIC_MNSI=1), having
checked its own position with Michigan.

The items below are in our own plain words, each with the meaning and the direction
(what "yes" means) of the published item, so that the published scoring applies.
A clinic that needs the validated wording (for research) should use Michigan's.
"""


def gettext_noop(message):
    """Marks a message for translation (makemessages); the Django layer translates it."""
    return message


# It is asked again after this many days.
INTERVAL_DAYS = 28
INTERVAL_WEEKS = INTERVAL_DAYS // 7


# For the admin page and the README: why it is off unless the clinic turns it on.
def licence_note(gettext=gettext_noop):
    """LICENCE_NOTE in the reader's language (the Django layer passes its gettext)."""
    return gettext(
        "The MNSI questionnaire (Feldman et al., Diabetes Care 1994;17:1281-1289) is listed "
        "by PhenX (protocol 140401) as free to use, “permission not required”; the "
        "University of Michigan may require a licence for commercial use, granted case by "
        "case. Patients are asked it every %(weeks)s weeks only where CLINIC_MNSI=1 is "
        "set, after the "
        "clinic has checked its own position with Michigan. The app words the 15 items in "
        "plain language with the published meaning, and scores them as published (0 to 13)."
    ) % {"weeks": INTERVAL_WEEKS}


LICENCE_NOTE = licence_note()

ITEMS = (
    gettext_noop("Do your legs or feet feel numb?"),
    gettext_noop("Do you ever get a burning pain in your legs or feet?"),
    gettext_noop("Do your feet feel too sensitive when something touches them?"),
    gettext_noop("Do you get cramps in the muscles of your legs or feet?"),
    gettext_noop("Do you ever feel prickling in your legs or feet?"),
    gettext_noop("Does it hurt when the bedclothes touch your skin?"),
    gettext_noop("In the bath or shower, can you tell hot water from cold water?"),
    gettext_noop("Have you ever had an open wound or sore on a foot?"),
    gettext_noop(
        "Has a doctor ever told you that you have nerve damage from diabetes (diabetic neuropathy)?"
    ),
    gettext_noop("Do you feel weak all over, most of the time?"),
    gettext_noop("Do your symptoms get worse at night?"),
    gettext_noop("Do your legs hurt as you walk?"),
    gettext_noop("When you walk, can you feel your feet?"),
    gettext_noop("Is the skin of your feet so dry that it cracks open?"),
    gettext_noop("Have you ever had a limb, or part of one, amputated?"),
)

# Item numbers as published (1-based).
POINT_FOR_YES = frozenset({1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15})
POINT_FOR_NO = frozenset({7, 13})
NOT_SCORED = frozenset({4, 10})
MAX_SCORE = len(POINT_FOR_YES) + len(POINT_FOR_NO)


def score(answers):
    """The score of 15 answers (True for yes, False for no), in the published order."""
    if len(answers) != len(ITEMS) or any(type(answer) is not bool for answer in answers):
        raise ValueError("The MNSI needs a yes or a no to each of its 15 items.")
    return sum(
        1
        for number, yes in enumerate(answers, start=1)
        if (yes and number in POINT_FOR_YES) or (not yes and number in POINT_FOR_NO)
    )


def encode(answers):
    """15 answers as stored: "Y" and "N" characters, in order."""
    return "".join("Y" if yes else "N" for yes in answers)


def decode(text):
    return [char == "Y" for char in text]
