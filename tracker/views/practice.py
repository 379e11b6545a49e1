from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access, audit, learn, scores
from tracker import worklist as worklists
from tracker.access import practitioner_required
from tracker.course import CHART_RANGES, chart_range, course_of
from tracker.forms import (
    DateRangeForm,
    DischargeForm,
    PatientDetailsForm,
    ReminderForm,
    TreatmentSessionForm,
)
from tracker.models import (
    NOTE_SHORT_MAX_LENGTH,
    OUTCOMES,
    SessionStatus,
    TreatmentSession,
)
from tracker.reported import side_effect_words
from tracker.templatetags.score_cells import date_words
from tracker.views.invitations import pop_invitation_link
from tracker.views.team import team_context

PATIENTS_PER_PAGE = 50
ENTRIES_PER_PAGE = 25
# Booked sessions whose time has passed, listed above the worklist for the
# practitioner to record: the oldest this many, so the page stays small.
AWAITING_SHOWN = 20


def sessions_to_record(user, now):
    """(sessions, more): the oldest AWAITING_SHOWN booked sessions of the user's patients
    whose time has passed, with their patients, in one query; more is True if there
    are others."""
    sessions = list(
        TreatmentSession.objects.awaiting_outcome(now)
        .filter(patient__in=access.patients_visible_to(user))
        .select_related("patient")
        .defer("notes")
        .order_by("when", "pk")[: AWAITING_SHOWN + 1]
    )
    return sessions[:AWAITING_SHOWN], len(sessions) > AWAITING_SHOWN


@practitioner_required
@require_safe
def worklist(request):
    now = timezone.now()
    missed_days = settings.REVIEW_MISSED_DAYS
    # Worded once: the rows' flags and the counts at the top show the same help.
    help_texts = worklists.flag_help(missed_days)
    # Each patient's figures as of the last write or clock change, kept between requests.
    every_row = worklists.rows_for_versions(
        access.versions_visible_to(request.user), now, missed_days, help_texts
    )
    show = request.GET.get("show", "")
    show = show if show in worklists.SHOWS else worklists.ATTENTION
    show_counts = {key: sum(1 for r in every_row if r.shown_in(key)) for key in worklists.SHOWS}
    rows = [r for r in every_row if r.shown_in(show)]
    flag_counts = worklists.flag_counts(rows, help_texts)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        # A name, or the clinic's record number (the way to tell two Mary Smiths apart).
        needle = query.casefold()
        rows = [
            r
            for r in rows
            if needle in r.patient.display_name.casefold()
            or (r.patient.record_number and needle in r.patient.record_number.casefold())
        ]
    flag = request.GET.get("flag", "")
    flag = flag if flag in scores.FLAG_NAMES else ""
    if flag:
        rows = [r for r in rows if getattr(r.flags, flag)]
    change = "reliable" if request.GET.get("change") == "reliable" else ""
    if change:
        rows = [r for r in rows if r.reliable_change]
    sort = request.GET.get("sort", "name")
    sort = sort if sort in worklists.SORTS else "name"
    page = Paginator(worklists.sort_rows(rows, sort), PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Most days nobody has a session to record: then the query is not run at all.
    awaiting, more_awaiting = [], False
    if any(r.patient.first_awaiting_at for r in every_row):
        awaiting, more_awaiting = sessions_to_record(request.user, now)
    # The sessions list names patients too: one audit row per patient shown, in one INSERT.
    shown = {p.pk: p for p in [r.patient for r in page.object_list] + [s.patient for s in awaiting]}
    audit.record_many(request, audit.VIEW, list(shown.values()), "worklist")
    ctx = {
        "awaiting": awaiting,
        "more_awaiting": more_awaiting,
        "outcomes": OUTCOMES,
        "page": page,
        "flag_counts": flag_counts,
        "shown": len(rows),
        "show": show,
        "shows": [(key, label, show_counts[key]) for key, label in worklists.SHOWS.items()],
        "query": query,
        "flag": flag,
        "change": change,
        "sort": sort,
        "sorts": worklists.SORTS,
        "recent_days": scores.RECENT_DAYS,
        "reliable_explained": scores.reliable_explained(_),
        "now": now,
        "here": request.get_full_path(),
        "my_id": request.user.practitioner.pk,
        "review_note_max": NOTE_SHORT_MAX_LENGTH,
        "learn_pages": learn.pages_for(learn.PANEL_PRACTICE),
    }
    return render(request, "tracker/worklist.html", ctx)


@practitioner_required
@never_cache  # the page may hold a fresh invitation link
@require_safe
def patient_detail(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    now = timezone.now()
    range_key = chart_range(request)
    entries = Paginator(
        patient.entries.select_related("entered_by").order_by("-recorded_at"), ENTRIES_PER_PAGE
    )
    # The flags and their review, by the worklist's own rules (two queries).
    row = worklists.row_of(patient, now, settings.REVIEW_MISSED_DAYS)
    ctx = {
        "patient": patient,
        "row": row,
        "review_note_max": NOTE_SHORT_MAX_LENGTH,
        "discharge_form": DischargeForm(initial={"discharged_on": timezone.localdate(now)}),
        "details_form": PatientDetailsForm(
            initial={
                "date_of_birth": patient.date_of_birth,
                "record_number": patient.record_number,
            }
        ),
        **course_of(patient, now, range_key, whole=False, reported=True),
        "ranges": CHART_RANGES,
        "range_key": range_key,
        "page": worded_entries(entries.get_page(request.GET.get("page"))),
        "outcomes": OUTCOMES,
        "now": now,
        "invitation_link": pop_invitation_link(request, patient),
        "bands_explained": scores.bands_explained(_),
        "reliable_explained": scores.reliable_explained(_),
        "learn_pages": learn.pages_for(learn.PANEL_PRACTICE),
        **team_context(request, patient),
        # The suggestion form starts from the last suggestion, else the patient's choice.
        "suggest_form": ReminderForm(
            initial=ReminderForm.initial_for(
                patient.suggested_schedule() or patient.reminder_schedule()
            ),
            narrow=True,
        ),
    }
    label_sessions([*ctx["upcoming_sessions"], *ctx["sessions"]])
    ctx.update(
        since_session_context(
            patient,
            ctx["since_session"],
            now,
            ctx.get("since_events", ()),
            ctx.get("since_impression", ""),
        )
    )
    audit.record(request, audit.VIEW, patient, "patient")
    return render(request, "tracker/patient_detail.html", ctx)


def worded_entries(page):
    """The page's entries, each with its time in words as the entries table's |date
    would write it (see label_sessions)."""
    short_format = _("D j M, H:i")
    for entry in page:
        entry.when_words = date_words(entry.recorded_at, short_format)
    return page


def label_sessions(sessions):
    """Give each listed session its times in words and its links, as the detail page's
    {{ when|date }} and {% url %} would write them (a dozen sessions with three dates
    and two links each cost the template a few milliseconds: the format looked up and
    the date worded each time, reverse() each time)."""
    long_format, short_format = _("D j M Y, H:i"), _("j M H:i")
    for session in sessions:
        session.when_words = date_words(session.when, long_format)
        session.when_short = date_words(session.when, short_format)
        session.edit_path = worklists.path_for("tracker:edit_session", session.public_id)
        session.delete_path = worklists.path_for("tracker:delete_session", session.public_id)


# The patient's notes in the "since last session" summary: enough for any interval
# between sessions, and a bound on the page's size whatever happens.
SINCE_NOTES_SHOWN = 60


def since_session_context(patient, since, now, events=(), impression=""):
    """The patient's own notes since the last session (one query) and the summary as text.

    events: what the patient reported since (chart_events.Event); impression: their
    answer to "how are you overall since the session?" in words, "" if not asked."""
    if since is None:
        return {}
    notes = list(
        patient.entries.filter(recorded_at__gte=since.at, recorded_at__lte=now)
        .exclude(note="")
        .order_by("recorded_at")
        .values_list("recorded_at", "note")[:SINCE_NOTES_SHOWN]
    )
    text = render_to_string(
        "tracker/since_session.txt",
        {"since_session": since, "notes": notes, "events": events, "impression": impression},
    )
    return {"since_notes": notes, "since_text": text}


def save_session(request, form, session, action):
    """Save a valid session form, its scores taken in clinic and the audit rows at once.

    One transaction: a session is never saved without its scores or its audit
    trail, nor the scores without the session.
    """
    patient = session.patient
    scores = form.clinic_scores()
    with transaction.atomic():
        session.save()
        audit.record(request, action, patient, "session", session.public_id)
        if scores:
            entry, created = session.save_clinic_scores(scores, request.user.practitioner)
            audit.record(
                request,
                audit.CREATE if created else audit.UPDATE,
                patient,
                "entry",
                entry.public_id,
                detail="in clinic",
            )
        elif form.cleaned_data.get("remove_scores") and form.clinic_entry:
            entry = form.clinic_entry
            audit.record(request, audit.DELETE, patient, "entry", entry.public_id, "in clinic")
            entry.delete()


def session_moment(session):
    """ "3 Mar 14:30", in clinic time: how the messages name a session."""
    return date_format(timezone.localtime(session.when), _("j M H:i"))


@practitioner_required
@require_http_methods(["GET", "POST"])
def add_session(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    form = TreatmentSessionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        session = form.save(commit=False)
        session.patient = patient
        session.practitioner = request.user.practitioner
        save_session(request, form, session, audit.CREATE)
        messages.success(
            request, _("Session on %(when)s saved.") % {"when": session_moment(session)}
        )
        return redirect(patient)
    ctx = {"form": form, "patient": patient, "title": _("Record a session")}
    return render(request, "tracker/session_form.html", ctx)


@practitioner_required
@require_http_methods(["GET", "POST"])
def edit_session(request, public_id):
    session = access.get_session_or_404(request, public_id)
    form = TreatmentSessionForm(
        request.POST if request.method == "POST" else None, instance=session
    )
    if request.method == "POST" and form.is_valid():
        save_session(request, form, form.save(commit=False), audit.UPDATE)
        messages.success(request, _("Session updated."))
        return redirect(session.patient)
    audit.record(request, audit.VIEW, session.patient, "session", session.public_id)
    ctx = {
        "form": form,
        "patient": session.patient,
        "session": session,
        "title": _("Edit session"),
    }
    return render(request, "tracker/session_form.html", ctx)


@practitioner_required
@require_POST
def record_outcome(request, public_id):
    """What happened at a booked session whose time has passed: one of OUTCOMES."""
    session = access.get_session_or_404(request, public_id)
    back = redirect("tracker:worklist") if request.POST.get("next") == "worklist" else None
    back = back or redirect(session.patient)
    labels = dict(SessionStatus.choices)
    status = request.POST.get("status", "")
    if status not in OUTCOMES:
        messages.error(request, _("Please choose Attended, Cancelled or Did not attend."))
        return back
    when = session_moment(session)
    with transaction.atomic():
        recorded = session.record_outcome(status, timezone.now())
        if recorded:
            audit.record(
                request,
                audit.UPDATE,
                session.patient,
                "session",
                session.public_id,
                detail="outcome recorded",  # which one is on the session, not here
            )
    if not recorded:
        # Already recorded (another tab, a colleague) or not yet due: nothing changed.
        values = {"when": when, "status": labels[session.status].lower()}
        messages.info(
            request,
            (
                _("Nothing changed: the session on %(when)s is %(status)s and still to come.")
                if session.when > timezone.now()
                else _("Nothing changed: the session on %(when)s is %(status)s.")
            )
            % values,
        )
        return back
    messages.success(
        request,
        _("%(name)s: the session on %(when)s is recorded as %(status)s.")
        % {"name": session.patient.display_name, "when": when, "status": labels[status].lower()},
    )
    return back


@practitioner_required
@require_http_methods(["GET", "POST"])
def delete_session(request, public_id):
    session = access.get_session_or_404(request, public_id)
    if request.method == "POST":
        with transaction.atomic():
            audit.record(request, audit.DELETE, session.patient, "session", session.public_id)
            session.delete()
        messages.success(request, _("Session deleted."))
        return redirect(session.patient)
    audit.record(request, audit.VIEW, session.patient, "session", session.public_id)
    return render(request, "tracker/session_delete.html", {"session": session})


def period_days(start, end):
    """(first day, last day) of a DateRangeForm period in clinic time; None: open."""
    first = timezone.localdate(start) if start else None
    last = timezone.localdate(end - timedelta(microseconds=1)) if end else None
    return first, last


def period_end(end, now):
    """The moment a period's figures are worked out at: its last moment, never the clock."""
    return min(end - timedelta(microseconds=1), now) if end else now


@practitioner_required
@require_safe
def report(request, public_id):
    patient = access.get_patient_or_404(request, public_id)
    now = timezone.now()
    form = DateRangeForm(request.GET or None)
    start, end = form.bounds()
    # Every figure is as of the period's last moment, never the clock: a report for
    # October shows October's last 7 days and the sessions held by then.
    as_of = period_end(end, now)
    course = course_of(patient, as_of, start=start, end=as_of, reported=True)
    # Newest first: those booked ahead of the period's end, then those whose time came.
    course["sessions"] = [
        s
        for s in course["upcoming_sessions"][::-1] + course["sessions"]
        if (not start or s.when >= start) and (not end or s.when < end)
    ]
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    # Beside each session, what the patient said after it (read with the course).
    found = course.pop("reported")
    impressions = found.impression_by_session()
    effects = {r.session_id: side_effect_words(r) for r in found.side_effects}
    for session in course["sessions"]:
        session.impression = impressions.get(session.pk, "")
        session.side_effects = effects.get(session.pk, "")
    ctx = {
        "patient": patient,
        "form": form,
        **course,
        "now": now,
        "bands_explained": scores.bands_explained(_),
        "reliable_explained": scores.reliable_explained(_),
        "recent_until": as_of if as_of < now else None,
        "start_date": chosen.get("start"),
        "end_date": chosen.get("end"),
        "weekly_answers": [a for a in found.weekly_answers if not start or a.answered_at >= start],
        "medicines": patient.medicines.during(*period_days(start, end)),
    }
    audit.record(request, audit.VIEW, patient, "report")
    return render(request, "tracker/report.html", ctx)
