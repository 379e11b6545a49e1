"""The words of the pure modules (scores.py, charts.py, chart_events.py, symptoms.py,
reminders.py, mnsi.py) in the reader's language.

Those modules keep no Django: their words are English message ids, marked with a local
gettext_noop for makemessages, and a function that words a sentence takes a gettext.
This is the Django layer that passes it, at render time, in the active language: as
template filters, and as functions for views (course.py's chart and check-in message).
Scores shown to people are written with the language's decimal mark (4,5 in Spanish);
the chart's coordinates never are (chart.svg is drawn with localize off).
"""

from django import template
from django.utils import formats
from django.utils.translation import gettext, ngettext, pgettext

from tracker import charts, scores, symptoms

register = template.Library()


def chart_words():
    """charts.Words for the active language: pass as words= to charts.trend_chart and
    chart_events.trend_chart.

    Each message is looked up once per Words: a chart says "%(day)s %(month)s" and
    "Pain" for every marker, hundreds of times, and a lookup of an English message walks
    every catalogue's fallbacks before it gives the message back. The memo lives as long
    as the Words (one chart, one filter call), in one language, so it can never be stale.
    """
    said = {}
    said_in_context = {}

    def gettext_once(message):
        text = said.get(message)
        if text is None:
            text = said[message] = gettext(message)
        return text

    def pgettext_once(context, message):
        key = (context, message)
        text = said_in_context.get(key)
        if text is None:
            text = said_in_context[key] = pgettext(context, message)
        return text

    return charts.Words(gettext_once, ngettext, pgettext_once)


def one_decimal(value):
    """4.5 as the reader writes it: "4.5", "4,5"."""
    return formats.number_format(round(value, 1), 1)


def score_text(value):
    """scores.format_score in the reader's way: 4 -> "4", 4.25 -> "4.3" / "4,3"."""
    text = scores.format_score(value)
    return one_decimal(value) if "." in text else text


def checkin_phrases(reading, previous, baseline):
    """scores.checkin_phrases in the active language (the message after a check-in)."""
    return scores.checkin_phrases(reading, previous, baseline, gettext, score_text)


@register.filter
def symptom_words(symptom):
    """A Symptom's label in the reader's language ("Pain", "Dolor", "疼痛")."""
    return gettext(symptom.label)


@register.filter
def symptom_hint(symptom):
    return gettext(symptom.description)


@register.simple_tag
def symptoms_in_words():
    """The symptoms as a phrase inside a sentence, in the reader's language."""
    return symptoms.in_words(gettext=gettext)


@register.filter
def progress_sentence(progress, days=scores.RECENT_DAYS):
    """SymptomProgress.sentence in the reader's language."""
    return scores.summary_sentence(progress, days, gettext, ngettext, one_decimal)


@register.filter
def baseline_words(baseline, whose="the"):
    """Baseline.describe(whose); "your" speaks to the patient."""
    return baseline.describe(whose, gettext, ngettext)


@register.filter
def baseline_rule_words(baseline, whose="the"):
    """Baseline.describe(whose) without its "provisional: " (the page says it itself)."""
    return baseline.describe_rule(whose, gettext, ngettext)


@register.filter
def band_label(band):
    return band.label_in(gettext) if band else ""


@register.filter
def band_parts(band):
    """Band.label_parts in the reader's language: (words, optional) pairs."""
    return band.label_parts_in(gettext) if band else ()


@register.filter
def band_phrase(band):
    return band.phrase_in(gettext) if band else ""


@register.filter
def reliable_label(reliable):
    return reliable.label_in(gettext) if reliable else ""


@register.filter
def interval_label(interval):
    """ "Before session 1", "After session 3" in the reader's language."""
    return scores.interval_label(interval, gettext)


@register.filter
def flag_label(flag):
    return flag.label_in(gettext)


@register.filter
def flag_counted(flag):
    return flag.counted_in(gettext)


@register.filter
def flag_help(flag, missed_days=scores.MISSED_AFTER_DAYS):
    return flag.help_text(missed_days, gettext)


@register.filter
def event_text(event):
    """chart_events.Event.text in the reader's language."""
    return event.text_in(chart_words())


@register.filter
def event_kind_label(kind):
    """A chart_events.EventKind's label ("Extra dose")."""
    return gettext(kind.label)


@register.filter
def event_kind_counted(kind):
    """A chart_events.EventKind's column heading ("Extra doses")."""
    return gettext(kind.counted)


@register.filter
def reminder_words(schedule):
    """reminders.Schedule.in_words in the reader's language."""
    return schedule.in_words(gettext) if schedule else ""


@register.simple_tag
def bands_explained():
    return scores.bands_explained(gettext)


@register.simple_tag
def reliable_explained():
    return scores.reliable_explained(gettext)


@register.simple_tag
def baseline_rule():
    return scores.baseline_rule(gettext)


@register.filter
def score(value):
    """A score as the reader writes it: "4", "4,5"."""
    return "" if value is None else score_text(value)
