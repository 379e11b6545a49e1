"""Cells of scores that repeat on every row of a list: the worklist's sparklines,
changes from baseline and latest scores, and each entry's scores on the history
and detail pages.

A loop over the symptoms on every row costs more than the page's queries (50
worklist rows of 3 sparklines and 3 changes each; 20 or 25 entries a page). So
each distinct cell is drawn once from its partial and then kept (see kept()):
the same figures come back again and again, and there are few distinct ones.
"""

from dataclasses import fields, is_dataclass
from functools import lru_cache, wraps

from django import template
from django.conf import settings
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from tracker import charts
from tracker.symptoms import BY_NAME, SYMPTOMS

register = template.Library()


KEPT_FUNCTIONS = []  # every kept() function, for forget_kept()


def kept(function=None, *, maxsize=2048):
    """Memoize a function of hashable, immutable arguments, for the life of the process.

    The arguments are all that a cell is drawn from, so a kept copy is never out of
    date, and they hold no names, only figures, so sharing cells between users reveals
    nothing. A patient's worklist cells take about 8 KB, so the most kept is about
    17 MB per process. Not in DEBUG, where an edited template should show at once.
    """
    if function is None:
        return lambda function: kept(function, maxsize=maxsize)
    cached = lru_cache(maxsize=maxsize)(function)

    @wraps(function)
    def call(*args):
        return function(*args) if settings.DEBUG else cached(*args)

    call.cache_clear = cached.cache_clear
    KEPT_FUNCTIONS.append(call)
    return call


def forget_kept():
    """Empty every kept() function's store (tests that change what a language says)."""
    for function in KEPT_FUNCTIONS:
        function.cache_clear()


@register.simple_tag
def symptom_initials():
    """ "P / N / T": the symptoms' initials, for narrow column headings."""
    return " / ".join(initials())


def initials():
    """Each symptom's shortest start that no other symptom's shares, in the reader's
    language: "P", "N", "T" in English; in Chinese two of the three names begin with
    the same character (麻), and those two get two characters."""
    labels = [gettext(symptom.label) for symptom in SYMPTOMS]

    def shortest(i, label):
        others = [other for j, other in enumerate(labels) if j != i]
        for length in range(1, len(label) + 1):
            if all(other[:length] != label[:length] for other in others):
                return label[:length]
        return label

    return [shortest(i, label) for i, label in enumerate(labels)]


@register.filter
def symptom_initial(symptom):
    """A symptom's initial for narrow columns, as symptom_initials() gives it."""
    return initials()[SYMPTOMS.index(symptom)]


@register.filter
def symptom_label(name):
    """ "pain" -> "Pain": a cell's column label where the row holds only symptom names."""
    return gettext(BY_NAME[name].label)


@register.simple_tag
def sparks_cell(daily_means):
    """The "Last 4 weeks" cell: a sparkline per symptom from its daily means."""
    return _sparks_cell(daily_means, translation.get_language())


@kept
def _sparks_cell(daily_means, language):
    sparks = [
        {"symptom": symptom, "spark": charts.sparkline(means)}
        for symptom, means in zip(SYMPTOMS, daily_means, strict=True)
    ]
    return render_to_string("tracker/worklist_sparks.html", {"sparks": sparks})


@register.simple_tag
def changes_cell(progress):
    """The "Change from baseline" list items (scores.SymptomProgress rows)."""
    # The language is in the key because change.html formats numbers.
    return _changes_cell(tuple(progress), translation.get_language())


@kept
def _changes_cell(progress, language):
    return render_to_string("tracker/worklist_changes.html", {"progress": progress})


@register.simple_tag
def latest_scores_cell(scores):
    """The last entry's scores on a worklist row, "5 / 4 / 3", each named for screen readers."""
    return _scores_cell("tracker/worklist_latest.html", scores, translation.get_language())


@register.simple_tag
def entry_scores(entry):
    """An entry's scores in words, "Pain 5 · ..." (the history page)."""
    return _scores_cell(
        "tracker/entry_scores.html", entry.score_values(), translation.get_language()
    )


@register.simple_tag
def entry_score_cells(entry):
    """An entry's scores as table cells, one per symptom (the detail page)."""
    return _scores_cell(
        "tracker/entry_score_cells.html", entry.score_values(), translation.get_language()
    )


# Three partials, one cell per distinct set of scores seen, a few hundred bytes each.
# The language is in the key: the partials' words are translated.
@kept(maxsize=4096)
def _scores_cell(template_name, scores, language):
    pairs = list(zip(SYMPTOMS, scores, strict=True))
    return render_to_string(template_name, {"scores": pairs})


@register.simple_tag(takes_context=True)
def interval_cells(context, interval):
    """An interval table row's cells, a mean and its change per symptom (interval_table.html).

    The text its loop gave, whitespace included, each value written as {{ }} writes it
    (render_value_in_context) through the same filters: a dozen rows of three cells
    cost a template loop several milliseconds a page.
    """

    def out(value):
        return render_value_in_context(value, context)

    parts = []
    for cell in interval.cells:
        mean, change = cell["mean"], cell["change"]
        if mean is None:
            shown = "&ndash;"
        else:
            shown = out(floatformat(mean, 1))
            if change is not None:
                sign = "+" if change > 0 else ""
                shown += (
                    f'<br><span class="small change">{sign}{out(floatformat(change, 1))}</span>'
                )
        label = out(symptom_label(cell["symptom"]))
        parts.append(f'\n            <td data-label="{label}">{shown}</td>\n          ')
    return mark_safe("".join(parts))  # noqa: S308 - every value went through out()


class ByValue:
    """A value handed to a kept() function, equal and hashed by all of its fields, so
    that a kept drawing of it is the drawing of any equal value: a hashable value (a
    frozen dataclass of hashable fields) is its own key, any other its frozen() copy."""

    __slots__ = ("value", "key")

    def __init__(self, value):
        self.value = value
        try:
            hash(value)  # a frozen dataclass of hashable fields is its own key
            self.key = value
        except TypeError:
            self.key = frozen(value)

    def __eq__(self, other):
        return isinstance(other, ByValue) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


def frozen(value):
    """A hashable copy of a dataclass value: every field, dicts as sorted pairs."""
    if is_dataclass(value):
        return (type(value).__name__, *(frozen(getattr(value, f.name)) for f in fields(value)))
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    return value


@register.simple_tag
def interval_row(interval):
    """An interval table's <tr> (scores.SessionInterval), drawn by interval_row.html.

    Kept by value, in the reader's language and time zone (it shows a date): the
    intervals before the current one do not change, so after a check-in only the
    current row is drawn again, and a page seen again draws none.
    """
    language, zone = translation.get_language(), timezone.get_current_timezone_name()
    return _interval_row(ByValue(interval), language, zone)


@kept
def _interval_row(interval, language, zone):
    return render_to_string("tracker/interval_row.html", {"interval": interval.value})


@register.simple_tag
def entry_card(card):
    """An entry's card on the history page (views.patient.EntryCard), kept by value in
    the reader's language: the card holds its times already in words."""
    return _entry_card(ByValue(card), translation.get_language())


@kept
def _entry_card(card, language):
    return render_to_string("tracker/history_entry.html", {"card": card.value})


def date_words(moment, format_string):
    """An aware moment in the reader's time zone, as |date:format_string writes it.

    Kept by value: the wall-clock time (with its fold, for the hour that repeats when the
    clocks go back), the zone, the format and the language are all the text depends on;
    a page words its entries' and sessions' times, and the same ones come back."""
    local = timezone.localtime(moment)  # what |date does with an aware time
    zone = timezone.get_current_timezone_name()
    wall = (local.replace(tzinfo=None), local.fold)
    return _date_words(wall, format_string, translation.get_language(), zone)


@kept(maxsize=8192)
def _date_words(wall, format_string, language, zone):
    moment, fold = wall
    local = moment.replace(tzinfo=timezone.get_current_timezone(), fold=fold)
    return date_filter(local, format_string)
