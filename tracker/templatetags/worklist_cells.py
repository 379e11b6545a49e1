"""The worklist's repeated cells: sparklines, changes from baseline, the latest scores.

With 50 rows of 3 sparklines and 3 changes each, template includes, filters and
nested loops per row cost more than the page's queries. So each distinct cell is
drawn once from its partial and then kept (see kept()): a practitioner looks at
the same figures again and again, and they change only with a new entry or a new day.
"""

from functools import lru_cache, wraps

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from tracker import charts
from tracker.symptoms import SYMPTOMS

register = template.Library()


def kept(function):
    """Memoize a function of hashable, immutable arguments, for the life of the process.

    The arguments are all that a cell is drawn from, so a kept copy is never out of
    date, and they hold no names, only figures, so sharing cells between users reveals
    nothing. A patient's cells take about 8 KB, so the most kept is about 17 MB per
    process. Not in DEBUG, where an edited template should show at once.
    """
    cached = lru_cache(maxsize=2048)(function)

    @wraps(function)
    def call(*args):
        return function(*args) if settings.DEBUG else cached(*args)

    call.cache_clear = cached.cache_clear
    return call


@register.simple_tag
def sparks_cell(daily_means):
    """The "Last 4 weeks" cell: a sparkline per symptom from its daily means."""
    return _sparks_cell(daily_means)


@kept
def _sparks_cell(daily_means):
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
    """The last entry's scores, "5 / 4 / 3", each named for screen readers."""
    return _latest_scores_cell(scores)


@kept
def _latest_scores_cell(scores):
    pairs = list(zip(SYMPTOMS, scores, strict=True))
    return render_to_string("tracker/worklist_latest.html", {"scores": pairs})
