from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tracker import access, charts, learn, scores
from tracker.access import patient_required, practitioner_required
from tracker.forms import SymptomEntryForm

# Chart ranges offered above every trend chart: key -> (label, days or None for all).
CHART_RANGES = {"4w": ("4 weeks", 28), "12w": ("12 weeks", 84), "all": ("All", None)}
ENTRIES_PER_PAGE = 20


def home(request):
    """Send each user to their own home page."""
    role = access.role_of(request.user)
    if role == access.PATIENT:
        return redirect("tracker:log")
    if role == access.PRACTITIONER:
        return redirect("tracker:worklist")
    if role == access.STAFF:
        return redirect("admin:index")
    if request.user.is_authenticated:
        return render(request, "tracker/no_role.html", status=403)
    return redirect("login")


def trend_chart(readings, session_times, range_key, now):
    """Chart geometry for readings and sessions over one of CHART_RANGES."""
    days = CHART_RANGES[range_key][1]
    local = timezone.localtime
    start = local(now - timedelta(days=days)) if days else None
    if start is None:
        start = local(readings[0].at) if readings else local(now)
    series = {s: [(local(r.at), r.value(s)) for r in readings] for s in scores.SYMPTOMS}
    rolling = {
        s: [(local(at), value) for at, value in scores.rolling_means(readings, s)]
        for s in scores.SYMPTOMS
    }
    first_session = session_times[0] if session_times else None
    baseline = scores.baseline_for(readings, first_session)
    sessions = [(local(at), number) for number, at in enumerate(session_times, 1)]
    return charts.trend_chart(
        series,
        sessions,
        start,
        local(now),
        baselines=baseline.values if baseline else None,
        rolling=rolling,
        tz_label=timezone.get_current_timezone_name(),
    )


def chart_range(request):
    key = request.GET.get("range", "12w")
    return key if key in CHART_RANGES else "12w"


@patient_required
@require_http_methods(["GET", "POST"])
def log_entry(request):
    patient = request.user.patient
    form = SymptomEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if patient.entries.filter(public_id=token).exists():
            return already_saved(request)
        try:
            with transaction.atomic():
                entry = form.save(commit=False)
                entry.patient = patient
                entry.save()
        except IntegrityError:
            # The same token raced in from a double tap: the first one won.
            if patient.entries.filter(public_id=token).exists():
                return already_saved(request)
            form.add_error(None, "This form was already used. Please fill it in again.")
        else:
            messages.success(request, checkin_message(patient, entry))
            return redirect("tracker:history")
    return render(request, "tracker/log.html", {"form": form, "patient": patient})


def already_saved(request):
    messages.info(request, "That check-in was already saved, so it was not added twice.")
    return redirect("tracker:history")


def checkin_message(patient, entry):
    readings = patient.readings()
    new = scores.Reading.from_entry(entry)
    earlier = [r for r in readings if r.at < entry.recorded_at]
    baseline = scores.baseline_for(readings, next(iter(patient.session_times()), None))
    phrases = scores.checkin_phrases(new, earlier[-1] if earlier else None, baseline)
    return "Saved. " + ". ".join(phrases) + "."


@patient_required
def history(request):
    patient = request.user.patient
    now = timezone.now()
    readings = patient.readings()
    session_times = patient.session_times()
    baseline = scores.baseline_for(readings, session_times[0] if session_times else None)
    range_key = chart_range(request)
    page = Paginator(patient.entries.order_by("-recorded_at"), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for entry in page:
        entry.is_editable_now = entry.is_editable(now)
    past_sessions = [at for at in session_times if at <= now]
    ctx = {
        "patient": patient,
        "chart": trend_chart(readings, session_times, range_key, now),
        "ranges": CHART_RANGES,
        "range_key": range_key,
        "baseline": baseline,
        "progress": scores.progress(baseline, scores.recent_mean(readings, now)),
        "intervals": scores.intervals(readings, past_sessions) if readings else [],
        "page": page,
        "next_session": next((at for at in session_times if at > now), None),
        "sessions_done": len(past_sessions),
        "now": now,
        "learn_pages": learn.pages_for(learn.PANEL_HISTORY),
    }
    return render(request, "tracker/history.html", ctx)


def own_entry_or_404(request, public_id):
    """The patient's own entry, still inside its edit window."""
    entry = get_object_or_404(request.user.patient.entries, public_id=public_id)
    if not entry.is_editable(timezone.now()):
        messages.info(request, "Entries can be changed for 24 hours after saving.")
        return None
    return entry


@patient_required
@require_http_methods(["GET", "POST"])
def edit_entry(request, public_id):
    entry = own_entry_or_404(request, public_id)
    if entry is None:
        return redirect("tracker:history")
    form = SymptomEntryForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your entry was updated.")
        return redirect("tracker:history")
    return render(request, "tracker/entry_edit.html", {"form": form, "entry": entry})


@patient_required
@require_http_methods(["GET", "POST"])
def delete_entry(request, public_id):
    entry = own_entry_or_404(request, public_id)
    if entry is None:
        return redirect("tracker:history")
    if request.method == "POST":
        entry.delete()
        messages.success(request, "Your entry was deleted.")
        return redirect("tracker:history")
    return render(request, "tracker/entry_delete.html", {"entry": entry})


@practitioner_required
def worklist(request):
    patients = access.patients_visible_to(request.user)
    return render(request, "tracker/worklist.html", {"patients": patients})


@practitioner_required
def patient_detail(request, public_id):
    patient = access.get_patient_or_404(request.user, public_id)
    ctx = {
        "patient": patient,
        "entries": patient.entries.all()[:50],
        "sessions": patient.sessions.all(),
        "learn_pages": learn.pages_for(learn.PANEL_PRACTICE),
    }
    return render(request, "tracker/patient_detail.html", ctx)


def learn_index(request):
    return render(request, "tracker/learn_index.html", {"pages": learn.all_pages()})


def learn_page(request, slug):
    page = learn.get_page(slug)
    if page is None:
        raise Http404("No such page.")
    related = [p for p in map(learn.get_page, page.related) if p]
    return render(request, "tracker/learn_page.html", {"page": page, "related": related})
