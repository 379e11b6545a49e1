import uuid
from dataclasses import dataclass, replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from tracker import access, audit, followup, learn
from tracker.access import patient_required
from tracker.course import CHART_RANGES, chart_range, checkin_message, course_of
from tracker.forms import SymptomEntryForm
from tracker.models import EDIT_WINDOW_HOURS
from tracker.reported import medicine_events_of_entries
from tracker.reported_forms import FollowUpForm
from tracker.templatetags.score_cells import date_words
from tracker.worklist import path_for

ENTRIES_PER_PAGE = 20


@login_required
@require_safe
def ping(request):
    """A near-empty signed-in page: the ceiling that benchmarks compare pages with."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def home(request):
    """Send each user to their own home page."""
    role = access.role_of(request.user)
    if role == access.PATIENT:
        return redirect("tracker:log")
    if role == access.PRACTITIONER:
        return redirect("tracker:worklist")
    if role == access.STAFF:
        return redirect("tracker:staff_team")
    if request.user.is_authenticated:
        return render(request, "tracker/no_role.html", status=403)
    return redirect("login")


@patient_required
@require_http_methods(["GET", "POST"])
def log_entry(request):
    patient = request.user.patient
    # The form asks first when the same answers were saved minutes ago (Back, then Save).
    form = SymptomEntryForm(request.POST if request.method == "POST" else None, patient=patient)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        try:
            # No look-up of the token first: the unique constraint refuses a second
            # row with it, which costs a query only when a form is really sent twice.
            with transaction.atomic():
                entry = form.save()
                events = followup.record_medicine_events(
                    entry, form.cleaned_data["medicine_events"]
                )
                audit.record(request, audit.CREATE, patient, "entry", entry.public_id)
        except IntegrityError:
            # A resent form or a double tap: the first one won.
            if patient.entries.filter(public_id=token).exists():
                return already_saved(request)
            form.add_error(None, _("This form was already used. Please check it and save again."))
            # A fresh token, so that saving the re-shown form works.
            form.data = form.data.copy()
            form.data["token"] = str(uuid.uuid4())
        else:
            messages.success(request, checkin_message(patient, entry))
            if followup.due_after(entry, timezone.now(), events, first_only=True):
                return redirect("tracker:follow_up", entry.public_id)
            return redirect("tracker:history")
    return render(request, "tracker/log.html", {"form": form, "patient": patient})


def already_saved(request):
    messages.info(request, _("That check-in was already saved, so it was not added twice."))
    return redirect("tracker:history")


@patient_required
@require_safe
def history(request):
    patient = request.user.patient
    now = timezone.now()
    entries = patient.entries.select_related("entered_by").order_by("-recorded_at")
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    # Each entry's time in words, and its links while it can be changed, as the page's
    # |date and {% url %} would write them: worded once here rather than up to three
    # times an entry by the template's filters.
    long_format, short_format = _("D j M Y, H:i"), _("j M H:i")
    events = medicine_events_of_entries(patient, page.object_list)
    for entry in page:
        entry.card = EntryCard.of(entry, now, long_format, short_format, events.get(entry.pk))
    range_key = chart_range(request)
    ctx = {
        "patient": patient,
        # Practitioners' notes on sessions are theirs: not even read here.
        **course_of(patient, now, range_key, whole=False, notes=False, listed=False),
        "ranges": CHART_RANGES,
        "range_key": range_key,
        "page": page,
        "now": now,
        "learn_pages": learn.pages_for(learn.PANEL_HISTORY),
    }
    audit.record(request, audit.VIEW, patient, "history")
    return render(request, "tracker/history.html", ctx)


@dataclass(frozen=True)
class EntryCard:
    """All that an entry's card on the history page shows (history_entry.html): the
    card is drawn from this alone, so that a drawn card can be kept by its value."""

    public_id: uuid.UUID
    when_words: str
    in_clinic: bool
    entered_by: str
    scores: tuple
    location_labels: tuple
    note: str
    events: tuple  # (kind, medicine name or "", note) of each medicine event ticked
    is_editable_now: bool
    when_short: str = ""
    edit_path: str = ""
    delete_path: str = ""

    @classmethod
    def of(cls, entry, now, long_format, short_format, events=()):
        """The card of `entry`; events: its medicine events (medicine_events_of_entries)."""
        editable = entry.is_editable(now)
        card = cls(
            public_id=entry.public_id,
            when_words=date_words(entry.recorded_at, long_format),
            in_clinic=entry.in_clinic,
            entered_by=str(entry.entered_by) if entry.in_clinic else "",
            scores=entry.score_values(),
            location_labels=tuple(entry.location_labels()),
            note=entry.note,
            events=tuple(events or ()),
            is_editable_now=editable,
        )
        if not editable:
            return card
        return replace(
            card,
            when_short=date_words(entry.recorded_at, short_format),
            edit_path=path_for("tracker:edit_entry", entry.public_id),
            delete_path=path_for("tracker:delete_entry", entry.public_id),
        )

    def score_values(self):
        return self.scores


def editable_entry(request, public_id):
    """The entry (access.py decides who may open it), or None once its edit window is over."""
    entry = access.get_entry_or_404(request, public_id)
    if not entry.is_editable(timezone.now()):
        messages.info(
            request,
            ngettext(
                "Entries can be changed for %(hours)s hour after saving.",
                "Entries can be changed for %(hours)s hours after saving.",
                EDIT_WINDOW_HOURS,
            )
            % {"hours": EDIT_WINDOW_HOURS},
        )
        return None
    return entry


@patient_required
@require_http_methods(["GET", "POST"])
def edit_entry(request, public_id):
    entry = editable_entry(request, public_id)
    if entry is None:
        return redirect("tracker:history")
    form = SymptomEntryForm(request.POST if request.method == "POST" else None, instance=entry)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            audit.record(request, audit.UPDATE, entry.patient, "entry", entry.public_id)
        messages.success(request, _("Your entry was updated."))
        return redirect("tracker:history")
    audit.record(request, audit.VIEW, entry.patient, "entry", entry.public_id)
    ctx = {"form": form, "entry": entry, "edit_window_hours": EDIT_WINDOW_HOURS}
    return render(request, "tracker/entry_edit.html", ctx)


@patient_required
@require_http_methods(["GET", "POST"])
def delete_entry(request, public_id):
    entry = editable_entry(request, public_id)
    if entry is None:
        return redirect("tracker:history")
    if request.method == "POST":
        with transaction.atomic():
            audit.record(request, audit.DELETE, entry.patient, "entry", entry.public_id)
            entry.delete()
        messages.success(request, _("Your entry was deleted."))
        return redirect("tracker:history")
    audit.record(request, audit.VIEW, entry.patient, "entry", entry.public_id)
    return render(request, "tracker/entry_delete.html", {"entry": entry})


@patient_required
@require_http_methods(["GET", "POST"])
def follow_up(request, public_id):
    """The questions after a check-in (followup.py): each optional, "Skip" for all."""
    entry = access.get_entry_or_404(request, public_id)
    now = timezone.now()
    if not entry.is_editable(now):
        # A page kept open for a day: the weekly questions come with the next check-in.
        return redirect("tracker:history")
    due = followup.due_after(entry, now)
    if not due:
        return redirect("tracker:history")
    skip = request.method == "POST" and "skip" in request.POST
    form = FollowUpForm(due, request.POST if request.method == "POST" and not skip else None)
    if skip or (request.method == "POST" and form.is_valid()):
        answers = {} if skip else form.cleaned_data
        try:
            with transaction.atomic():
                followup.save_answers(entry.patient, due, answers, now)
                audit.record(request, audit.CREATE, entry.patient, "answers", entry.public_id)
        except followup.AlreadyAnswered:
            messages.info(request, _("Those questions were already answered, so nothing changed."))
            return redirect("tracker:history")
        if skip:
            messages.info(request, _("Questions skipped."))
        else:
            messages.success(request, _("Thank you. Your answers are saved."))
            if answers.get("fell") or followup.needs_care_now(answers.get("side_effects") or []):
                messages.warning(request, followup.CARE_MESSAGE)
        return redirect("tracker:history")
    return render(request, "tracker/follow_up.html", {"form": form, "due": due, "entry": entry})
