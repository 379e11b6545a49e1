"""Check-in reminders: the patient's choice, the practitioner's suggestion, unsubscribing.

Sending them is `manage.py send_reminders` (tracker/reminder_mail.py).
"""

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tracker import access, audit, reminders
from tracker.access import patient_required, practitioner_required
from tracker.forms import ReminderForm
from tracker.reminder_mail import patient_for_token


def saved_message(words):
    return _("Your reminders are saved: %(schedule)s.") % {"schedule": words}


def account_context(patient):
    """What the reminders part of /account/ shows (tracker/account_reminders.html)."""
    schedule = patient.reminder_schedule()
    suggestion = patient.suggested_schedule()
    return {
        "reminder_form": ReminderForm(initial=ReminderForm.initial_for(schedule)),
        "reminder_words": schedule.in_words(_),
        # Offered only while it differs from what the patient has.
        "suggestion": suggestion
        if suggestion and suggestion.in_words() != schedule.in_words()
        else None,
        "suggestion_words": suggestion.in_words(_) if suggestion else "",
        "suggested_by": patient.suggested_by,
    }


def save_choice(request, patient, frequency, at, weekdays, detail):
    with transaction.atomic():
        patient.choose_reminders(frequency, at, weekdays, timezone.now())
        audit.record(request, audit.UPDATE, patient, "reminders", detail=detail)
    words = patient.reminder_schedule().in_words(_).lower()
    messages.success(request, saved_message(words))


@patient_required
@require_http_methods(["GET", "POST"])
def reminder_settings(request):
    """The reminder form on its own page: after an invitation (?welcome=1), or with errors.

    /account/ shows the same form and posts here.
    """
    patient = request.user.patient
    welcome = (request.POST if request.method == "POST" else request.GET).get("welcome") == "1"
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            save_choice(request, patient, *form.chosen(), detail="reminders chosen")
            return redirect("tracker:log" if welcome else "account")
    else:
        form = ReminderForm(initial=ReminderForm.initial_for(patient.reminder_schedule()))
    ctx = {"form": form, "welcome": welcome}
    return render(request, "tracker/reminders.html", ctx)


@patient_required
@require_POST
def use_suggestion(request):
    """ "Use this": the practitioner's suggestion becomes the patient's own choice."""
    patient = request.user.patient
    suggestion = patient.suggested_schedule()
    if suggestion is None:
        messages.info(request, _("There is no suggestion to use."))
        return redirect("account")
    save_choice(
        request,
        patient,
        suggestion.frequency,
        suggestion.at,
        suggestion.weekdays,
        detail="reminders: the practitioner's suggestion used",
    )
    return redirect("account")


@practitioner_required
@require_POST
def suggest_reminders(request, public_id):
    """A practitioner suggests a schedule; the patient sees it on /account/ and may use it."""
    patient = access.get_patient_or_404(request, public_id)
    form = ReminderForm(request.POST)
    if form.is_valid():
        frequency, at, weekdays = form.chosen()
        with transaction.atomic():
            patient.suggest_reminders(
                frequency, at, weekdays, request.user.practitioner, timezone.now()
            )
            audit.record(request, audit.UPDATE, patient, "reminders", detail="reminders suggested")
        words = patient.suggested_schedule().in_words(_).lower()
        messages.success(
            request,
            _(
                "Suggestion saved: %(schedule)s. %(name)s sees it in My account "
                "and can use it; their own choice stays until they do."
            )
            % {"schedule": words, "name": patient.display_name},
        )
        return redirect(patient)
    ctx = {"form": form, "patient": patient}
    return render(request, "tracker/reminder_suggest.html", ctx)


# The unsubscribe link in every reminder. No sign-in: the signed token in the URL is
# the permission, and all it can do is turn reminders off.
#
# csrf_exempt on this view only: RFC 8058's one-click unsubscribe is a POST from the
# mail client that carries no CSRF token. A forged cross-site POST would need the
# token from the patient's own e-mail, and could only stop their reminders.
# A GET changes nothing: mail scanners open every link in a message.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    patient = patient_for_token(token)
    if patient is None:
        return render(request, "tracker/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        with transaction.atomic():
            patient.choose_reminders(reminders.OFF, None, set(), timezone.now())
            # Anonymous on the record, even in a signed-in browser: the link did it.
            audit.record(
                request,
                audit.UPDATE,
                patient,
                "reminders",
                detail="reminders turned off by the unsubscribe link",
                user=AnonymousUser(),
            )
        return render(request, "tracker/unsubscribe.html", {"done": True})
    return render(request, "tracker/unsubscribe.html", {"token": token})
