import uuid
from datetime import date, datetime, time, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from crispy_forms.utils import TEMPLATE_PACK
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import SetPasswordForm
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from tracker import languages, reminders, webapp
from tracker.models import (
    NOTE_MAX_LENGTH,
    NOTE_SHORT_MAX_LENGTH,
    RECORD_NUMBER_MAX_LENGTH,
    BodyLocation,
    MedicineEventKind,
    NeuropathyKind,
    Patient,
    Practitioner,
    SessionStatus,
    SymptomEntry,
    TreatmentSession,
)
from tracker.symptoms import BY_NAME, NAMES

# How far back a patient may date an entry: people remember a week well enough.
BACKDATE_LIMIT = timedelta(days=7)
BACKDATE_DAYS = BACKDATE_LIMIT.days

SCORE_CHOICES = [(n, str(n)) for n in range(11)]

# The check-in's medicine tiles, in the patient's words (MedicineEventKind has the
# practitioner's).
MEDICINE_EVENT_CHOICES = [
    (MedicineEventKind.EXTRA_DOSE, gettext_lazy("I took an extra dose")),
    (MedicineEventKind.CHANGED, gettext_lazy("My medicine changed")),
]


def _score_required(label):
    return _("Please choose a number for %(symptom)s. Choose 0 if you have none.") % {
        "symptom": _(label).lower()
    }


def _score_invalid(label):
    return _("%(symptom)s must be a whole number from 0 to 10.") % {"symptom": _(label)}


score_required = lazy(_score_required, str)
score_invalid = lazy(_score_invalid, str)


class ScoreField(forms.TypedChoiceField):
    """A symptom's 0-10 rating drawn as eleven big radio buttons.

    The symptom's words are message ids (tracker/symptoms.py), translated when shown."""

    def __init__(self, symptom, **kwargs):
        label, hint = symptom.label, symptom.description
        super().__init__(
            choices=SCORE_CHOICES,
            coerce=int,
            widget=forms.RadioSelect,
            label=gettext_lazy(label),
            help_text=gettext_lazy(hint),
            error_messages={
                "required": score_required(label),
                "invalid_choice": score_invalid(label),
            },
            **kwargs,
        )


class NoteField(forms.CharField):
    """Free text whose line breaks count as one character, as the page counts them.

    Browsers send a textarea's line breaks as CRLF; stored as LF they match
    the counter the patient saw.
    """

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


def score_field(model_field, **kwargs):
    """A ScoreField for each symptom's column; any other model field as Django makes it."""
    symptom = BY_NAME.get(model_field.name)
    return ScoreField(symptom) if symptom else model_field.formfield(**kwargs)


class Disclosure(Div):
    """Fields behind a <details> summary, drawn open when any of them holds an answer
    or an error, so that nothing typed or wrong is hidden."""

    template = "tracker/fields/disclosure.html"

    def __init__(self, summary, *fields):
        super().__init__(*fields)
        self.summary = summary

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        fields = self.get_rendered_fields(form, context, template_pack, **kwargs)
        names = [name for item in self.fields for name in item.fields]  # Field objects
        shown = any(form[name].errors or form[name].value() for name in names)
        ctx = {"summary": self.summary, "fields": fields, "open": shown}
        return render_to_string(self.template, ctx)


class SymptomEntryForm(forms.ModelForm):
    """The check-in. `now` is the moment the form is checked against.

    New entries may be dated up to BACKDATE_LIMIT back from now. An entry being edited
    keeps the window it was made in (BACKDATE_LIMIT before it was first saved), so a
    fix made a day later does not push a backdated entry out of range.
    """

    # The page's alert lists the non-field errors (templates/bootstrap5/errors.html).
    errors_shown_above = True

    when = forms.ChoiceField(
        choices=[("now", gettext_lazy("Now")), ("earlier", gettext_lazy("Earlier"))],
        widget=forms.RadioSelect,
        initial="now",
        label=gettext_lazy("When did you feel this?"),
    )
    recorded_at = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Date and time"),
        widget=webapp.DateTimeInput(),
        error_messages={
            "invalid": gettext_lazy("That is not a real date and time. Please check it.")
        },
    )
    locations = forms.MultipleChoiceField(
        choices=BodyLocation.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=gettext_lazy("Where do you feel it? (optional)"),
        error_messages={"invalid_choice": gettext_lazy("Please choose places from the list.")},
    )
    note = NoteField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label=gettext_lazy("Anything else? (optional)"),
        help_text=gettext_lazy(
            "For example: burning at night, cramps, a fall, a change in medicine."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        error_messages={
            "max_length": gettext_lazy(
                "Your note is %(show_value)d characters long. "
                "Please keep it to %(limit_value)d or fewer."
            )
        },
    )
    # One tap each; the follow-up page asks which medicine when the list has several.
    medicine_events = forms.MultipleChoiceField(
        choices=MEDICINE_EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=gettext_lazy("Since your last check-in:"),
        error_messages={"invalid_choice": gettext_lazy("Please choose from the list.")},
    )
    # The one-time token: the same value in a resent form finds the entry it made.
    token = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # Sent only by the "Yes, save them again" button of the repeat question.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = SymptomEntry
        fields = [*NAMES, "locations", "note"]
        formfield_callback = score_field

    def __init__(self, *args, now=None, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        # A new check-in by `patient` is compared with what they saved minutes ago.
        self.repeat_of = None
        if patient is not None:
            self.instance.patient = patient
        if self.instance.pk:
            # Editing: the time is shown as it is; there is no "now" to choose.
            del self.fields["when"]
            del self.fields["confirm"]
            # Ticked at the check-in they happened with; not changed afterwards.
            del self.fields["medicine_events"]
            self.fields["recorded_at"].required = True
            self.fields["recorded_at"].error_messages["required"] = _(
                "Please give the date and time."
            )
            self.earliest = self.instance.created_at - BACKDATE_LIMIT
            self.initial.setdefault("recorded_at", timezone.localtime(self.instance.recorded_at))
        else:
            self.earliest = self.now - BACKDATE_LIMIT
            self.initial.setdefault("token", uuid.uuid4())
        limits = self.fields["recorded_at"].widget.attrs
        # The picker works in whole minutes: offer the first minute inside the window.
        first_minute = self.earliest.replace(second=0, microsecond=0)
        if first_minute < self.earliest:
            first_minute += timedelta(minutes=1)
        limits["min"] = timezone.localtime(first_minute).strftime("%Y-%m-%dT%H:%M")
        limits["max"] = timezone.localtime(self.now).strftime("%Y-%m-%dT%H:%M")
        zone = timezone.get_current_timezone_name()
        self.fields["recorded_at"].help_text = ngettext(
            "Up to %(days)s day back. Clinic time (%(zone)s).",
            "Up to %(days)s days back. Clinic time (%(zone)s).",
            BACKDATE_DAYS,
        ) % {"days": BACKDATE_DAYS, "zone": zone}

        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            *(Field(name, template="tracker/fields/score_scale.html") for name in NAMES),
            Div(
                *(
                    [
                        Field(
                            "when",
                            template="tracker/fields/choice_tiles.html",
                            wrapper_class="choice-tiles-2",
                        )
                    ]
                    if "when" in self.fields
                    else []
                ),
                Field("recorded_at", wrapper_class="earlier-field"),
                css_class="when-group",
            ),
            # Folded too: two taps (open, tick) instead of two screens' worth of space.
            *(
                [
                    Disclosure(
                        gettext_lazy("Your medicines (optional)"),
                        # Wide: "Mi medicamento cambió" does not fit half a phone.
                        Field(
                            "medicine_events",
                            template="tracker/fields/choice_tiles.html",
                            wrapper_class="choice-tiles-wide",
                        ),
                    )
                ]
                if "medicine_events" in self.fields
                else []
            ),
            # Optional answers, folded away so that Save is within reach on a phone.
            Disclosure(
                gettext_lazy("Where you feel it, and a note (optional)"),
                Field("locations", template="tracker/fields/choice_tiles.html"),
                Field("note", template="tracker/fields/note.html"),
            ),
            "token",
        )

    def clean_token(self):
        return self.cleaned_data.get("token") or uuid.uuid4()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == "now":
            cleaned["recorded_at"] = self.now
        else:
            self.check_time(cleaned)
        new = not self.instance.pk and self.instance.patient_id is not None
        if new and not self.errors and not cleaned.get("confirm"):
            self.check_repeat(cleaned)
        return cleaned

    def check_repeat(self, cleaned):
        """Ask before storing a copy of the check-in saved minutes ago (Back, then Save)."""
        entry = SymptomEntry(
            patient_id=self.instance.patient_id,
            recorded_at=cleaned["recorded_at"],
            public_id=cleaned["token"],
            locations=cleaned["locations"],
            note=cleaned["note"],
            **{name: cleaned[name] for name in NAMES},
        )
        self.repeat_of = entry.same_answers_saved_before(self.now)
        if self.repeat_of:
            saved = timezone.localtime(self.repeat_of.created_at)
            message = _("You saved these same answers at %(time)s. Save them again?") % {
                "time": f"{saved:%H:%M}"
            }
            # On the confirm field, which the question's button answers; the page shows
            # it as a question, not as an error under an answer.
            self.add_error("confirm", forms.ValidationError(message, code="repeat"))

    def check_time(self, cleaned):
        """An earlier time: inside the window, not in the future."""
        at = cleaned.get("recorded_at")
        if at is None:
            if "recorded_at" not in self.errors and "when" in cleaned:
                self.add_error("recorded_at", _("Please give the date and time, or choose ‘Now’."))
        elif at > self.now:
            self.add_error("recorded_at", _("That time is in the future. Please check it."))
        elif at < self.earliest:
            self.add_error(
                "recorded_at",
                ngettext(
                    "That is more than %(days)s day ago. You can log up to %(days)s day back.",
                    "That is more than %(days)s days ago. You can log up to %(days)s days back.",
                    BACKDATE_DAYS,
                )
                % {"days": BACKDATE_DAYS},
            )

    def save(self, commit=True):
        self.instance.recorded_at = self.cleaned_data["recorded_at"]
        if not self.instance.pk:
            self.instance.public_id = self.cleaned_data["token"]
        return super().save(commit)


# Invitations: a practitioner adds a patient; the invited patient chooses a password.


def unused_email(email, taken_message):
    """The address in lower case; a form error if an account uses it, as a username or an
    address, in any case."""
    email = email.lower()
    users = get_user_model().objects
    if email and (
        users.filter(username__iexact=email).exists() or users.filter(email__iexact=email).exists()
    ):
        raise forms.ValidationError(taken_message, code="taken")
    return email


EMAIL_ERRORS = {
    "invalid": gettext_lazy("That does not look like an email address. Please check it."),
    "max_length": gettext_lazy("That email address is too long (more than 150 characters)."),
}


LANGUAGE_ERRORS = {
    "required": gettext_lazy("Please choose a language from the list."),
    "invalid_choice": gettext_lazy("Please choose a language from the list."),
}


# --- Identity: date of birth and the clinic's record number -------------------

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class IdentityFields(forms.Form):
    """Date of birth and record number, both optional; on "Add a patient" and "Details"."""

    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth (optional)"),
        required=False,
        widget=webapp.DateInput(),
        error_messages={
            "invalid": gettext_lazy("That is not a real date. Please check the date of birth.")
        },
    )
    record_number = forms.CharField(
        label=gettext_lazy("Clinic record number (optional)"),
        required=False,
        max_length=RECORD_NUMBER_MAX_LENGTH,
        help_text=gettext_lazy(
            "Shown to practitioners beside the name, to tell patients apart. "
            "Never shown to the patient’s pages or in emails."
        ),
        error_messages={
            "max_length": format_lazy(
                gettext_lazy("A record number has at most {count} characters."),
                count=RECORD_NUMBER_MAX_LENGTH,
            )
        },
    )

    def __init__(self, *args, patient=None, **kwargs):
        # patient: the one being edited, whose own number is not "in use".
        self.patient = patient
        super().__init__(*args, **kwargs)

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born is not None and born > timezone.localdate():
            raise forms.ValidationError(_("The date of birth is in the future. Please check it."))
        if born is not None and born < EARLIEST_BIRTH_DATE:
            raise forms.ValidationError(
                _("Please give a date of birth from %(day)s.")
                % {"day": long_date(EARLIEST_BIRTH_DATE)}
            )
        return born

    def clean_record_number(self):
        number = " ".join(self.cleaned_data["record_number"].split())
        taken = Patient.objects.filter(record_number__iexact=number)
        if self.patient is not None:
            taken = taken.exclude(pk=self.patient.pk)
        if number and taken.exists():
            raise forms.ValidationError(
                _("Another patient already has this record number. Please check it."),
                code="taken",
            )
        return number


class AddPatientForm(IdentityFields):
    """A new patient. An email address becomes their username (lower case); without
    one, the username is made up (tracker/usernames.py) and they join by a printed sheet.
    """

    display_name = forms.CharField(
        label=pgettext_lazy("a patient's", "Name"),
        max_length=100,
        help_text=gettext_lazy("The name the patient goes by. They will see it on their pages."),
        error_messages={"required": gettext_lazy("Please give the patient’s name.")},
    )
    email = forms.EmailField(
        label=gettext_lazy("Email address (if they have one)"),
        required=False,
        # It is also the username, which holds at most 150 characters.
        max_length=150,
        help_text=gettext_lazy(
            "The invitation is sent here, and it becomes the patient’s username. "
            "No email? Leave it empty: you will print a sign-in sheet for them instead."
        ),
        error_messages=EMAIL_ERRORS,
    )
    neuropathy_kind = forms.ChoiceField(
        label=gettext_lazy("Kind of neuropathy"),
        choices=NeuropathyKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy(
                "Please choose the kind of neuropathy. Choose ‘Other’ if unsure."
            ),
            "invalid_choice": gettext_lazy("Please choose a kind of neuropathy from the list."),
        },
    )
    # Only when the clinic offers more than one (the field leaves the form otherwise).
    # Left out, it is "" (the clinic's language); a browser always sends the one ticked.
    language = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Language"),
        help_text=gettext_lazy(
            "The language of their invitation, sign-in sheet and pages. They can change it."
        ),
        error_messages=LANGUAGE_ERRORS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_language_choice(self, settings.LANGUAGE_CODE)

    def clean_email(self):
        return unused_email(
            self.cleaned_data["email"],
            _(
                "Someone already has an account with this email address, so no patient was "
                "added. If this is one of your patients, find them on your list. Otherwise "
                "ask clinic staff."
            ),
        )


def offer_language_choice(form, initial):
    """A "language" field among the languages the clinic offers (each in its own words),
    with `initial` chosen; none at all when the clinic offers only one. The form's
    cleaned_data then holds the code, or nothing."""
    offered = list(languages.offered().items())
    if len(offered) < 2:
        form.fields.pop("language", None)
        return
    field = form.fields.get("language")
    if field is None:
        field = form.fields["language"] = forms.ChoiceField(
            required=False, label=gettext_lazy("Language"), error_messages=LANGUAGE_ERRORS
        )
    field.choices = offered
    field.widget = forms.RadioSelect(choices=offered)
    form.initial.setdefault("language", initial)


class PatientDetailsForm(IdentityFields):
    """The "Details" box on the patient page."""


class FlagReviewForm(forms.Form):
    """ "Mark reviewed" with an optional short note."""

    note = forms.CharField(
        required=False,
        max_length=NOTE_SHORT_MAX_LENGTH,
        error_messages={
            "max_length": format_lazy(
                gettext_lazy("The note is too long: at most {count} characters."),
                count=NOTE_SHORT_MAX_LENGTH,
            )
        },
    )

    def clean_note(self):
        return " ".join(self.cleaned_data["note"].split())


class DischargeForm(forms.Form):
    """Finish a course: the date (today by default, never in the future) and a note."""

    discharged_on = forms.DateField(
        label=gettext_lazy("Course finished on"),
        widget=webapp.DateInput(),
        error_messages={
            "required": gettext_lazy("Please give the date the course finished."),
            "invalid": gettext_lazy("That is not a real date. Please check it."),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=NOTE_SHORT_MAX_LENGTH,
        error_messages={
            "max_length": format_lazy(
                gettext_lazy("The note is too long: at most {count} characters."),
                count=NOTE_SHORT_MAX_LENGTH,
            )
        },
    )

    def clean_discharged_on(self):
        day = self.cleaned_data["discharged_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("The date is in the future. A course ends today at the latest.")
            )
        if day < EARLIEST_PERIOD_DATE:
            raise forms.ValidationError(
                _("Please give a date from %(day)s.") % {"day": long_date(EARLIEST_PERIOD_DATE)}
            )
        return day

    def clean_note(self):
        return " ".join(self.cleaned_data["note"].split())


class PatientEmailForm(forms.Form):
    """An email address for a patient who was added without one."""

    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=150,
        error_messages={
            "required": gettext_lazy("Please type the email address."),
            **EMAIL_ERRORS,
        },
    )

    def clean_email(self):
        return unused_email(
            self.cleaned_data["email"],
            _(
                "Someone already has an account with this email address, so it was not "
                "added. Please check it, or ask clinic staff."
            ),
        )


class ForgotPasswordForm(forms.Form):
    """The first step of a password reset: who is asking. Nothing here says who exists."""

    identifier = forms.CharField(
        label=gettext_lazy("Your email address or username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={
            "required": gettext_lazy("Please type your email address or username."),
            "max_length": gettext_lazy(
                "That is longer than any email address or username here "
                "(more than 150 characters). Please check what you typed."
            ),
        },
    )

    def clean_identifier(self):
        return self.cleaned_data["identifier"].strip()


def password_rules():
    """The rules from settings.AUTH_PASSWORD_VALIDATORS, as plain sentences."""
    return " ".join(password_validation.password_validators_help_texts())


class ChoosePasswordForm(SetPasswordForm):
    """An invited patient's first password, checked by settings.AUTH_PASSWORD_VALIDATORS."""

    errors_shown_above = True  # in the page's alert (templates/bootstrap5/errors.html)

    error_messages = {
        "password_mismatch": gettext_lazy(
            "The two passwords are not the same. Please type them again."
        ),
    }

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = _("Choose a password")
        first.help_text = password_rules()
        first.error_messages["required"] = _("Please choose a password.")
        second.label = _("Type the same password again")
        second.help_text = _("This checks for typing mistakes.")
        second.error_messages["required"] = _("Please type your password a second time.")

    def clean(self):
        # As SetPasswordForm, but a broken rule is shown under the first field, next to the rules.
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)


class ChooseNewPasswordForm(ChoosePasswordForm):
    """A new password after a reset: the same rules, words for someone who had one."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("Choose a new password")
        self.fields["new_password1"].error_messages["required"] = _("Please choose a new password.")


CLINIC_SCORES_LEGEND = gettext_lazy("Scores at this session (as the patient states them)")


def session_time_text(moment):
    """A moment as the session form's date and time field shows it (clinic time)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


class TreatmentSessionForm(forms.ModelForm):
    """A treatment session: booked ahead, or as it happened; scores taken in clinic.

    `now` is the moment the form is checked against: a session still to come can
    only be booked. The scores (all of them or none) are the patient's own words at
    an attended session; clinic_scores() gives them to TreatmentSession.save_clinic_scores.
    """

    when = forms.DateTimeField(
        label=gettext_lazy("Date and time"),
        widget=webapp.DateTimeInput(),
        error_messages={
            "required": gettext_lazy("Please give the date and time of the session."),
            "invalid": gettext_lazy("That is not a real date and time."),
        },
    )
    status = forms.ChoiceField(
        label=gettext_lazy("What happened?"),
        choices=SessionStatus.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy(
                "Please choose what happened: booked, attended, cancelled or did not attend."
            ),
            "invalid_choice": gettext_lazy("Please choose what happened from the list."),
        },
    )
    remove_scores = forms.BooleanField(
        required=False,
        label=gettext_lazy("Remove the scores taken at this session"),
        help_text=gettext_lazy("The entry leaves the patient's chart and figures."),
    )

    class Meta:
        model = TreatmentSession
        fields = ["when", "status", "points_used", "notes"]
        labels = {
            "points_used": gettext_lazy("Points used"),
            "notes": gettext_lazy("Notes (practitioners only)"),
        }
        help_texts = {
            "points_used": gettext_lazy("For example: ST36, SP6, LR3, Bafeng."),
            "notes": gettext_lazy("Never shown to the patient."),
        }
        widgets = {
            "points_used": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        for name in NAMES:
            self.fields[name] = ScoreField(BY_NAME[name], required=False, empty_value=None)
        self.clinic_entry = self.instance.clinic_entry_or_none() if self.instance.pk else None
        if self.clinic_entry:
            for name in NAMES:
                self.initial.setdefault(name, getattr(self.clinic_entry, name))
        else:
            # Nothing to remove.
            del self.fields["remove_scores"]
        if not self.instance.pk:
            # Most sessions are recorded as they end: now, to the minute, in clinic time.
            self.initial.setdefault("when", session_time_text(self.now))
            self.initial.setdefault("status", SessionStatus.ATTENDED)
        zone = timezone.get_current_timezone_name()
        self.fields["when"].help_text = _("Clinic time (%(zone)s).") % {"zone": zone}
        scores_hint = _(
            "Only for an attended session. Choose all three, or none. They count in the "
            "patient's figures like their own check-ins, marked “in clinic”."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "when",
            Field("status", template="tracker/fields/choice_tiles.html"),
            "points_used",
            "notes",
            Fieldset(
                CLINIC_SCORES_LEGEND,
                HTML(f'<p class="field-hint">{scores_hint}</p>'),
                *(Field(name, template="tracker/fields/score_scale.html") for name in NAMES),
                *(["remove_scores"] if "remove_scores" in self.fields else []),
                css_class="clinic-scores",
            ),
        )

    def clean_when(self):
        when = self.cleaned_data["when"]
        if not self.now - timedelta(days=365 * 5) <= when <= self.now + timedelta(days=365):
            raise forms.ValidationError(
                _("Please give a date within the last 5 years or next year.")
            )
        return when

    def clean(self):
        cleaned = super().clean()
        when, status = cleaned.get("when"), cleaned.get("status")
        if status == SessionStatus.ATTENDED and when and when > self.now:
            self.add_error(
                "status",
                _(
                    "This session is still to come, so it cannot be attended yet. "
                    "Choose ‘Booked’, or check the date and time."
                ),
            )
        if cleaned.get("remove_scores"):
            return cleaned
        given = [name for name in NAMES if cleaned.get(name) is not None]
        if given and len(given) < len(NAMES):
            missing = [_(BY_NAME[n].label).lower() for n in NAMES if n not in given]
            self.add_error(
                None,
                _(
                    "Please choose a score for all three symptoms, or for none. "
                    "Missing: %(missing)s."
                )
                % {"missing": ", ".join(missing)},
            )
        elif given and status and status != SessionStatus.ATTENDED:
            self.add_error(
                None,
                _(
                    "Scores can only be recorded for an attended session. Choose "
                    "‘Attended’, or tick ‘Remove the scores taken at this "
                    "session’."
                )
                if self.clinic_entry
                else _(
                    "Scores can only be recorded for an attended session. Choose "
                    "‘Attended’, or leave the scores out."
                ),
            )
        return cleaned

    def clinic_scores(self):
        """{symptom: score} from a valid form, or None when no scores were given."""
        if self.cleaned_data.get("remove_scores"):
            return None
        scores = {name: self.cleaned_data.get(name) for name in NAMES}
        return scores if all(v is not None for v in scores.values()) else None


# The dates a report or an export may name. The clinic's records begin well after
# 2000, and nothing is booked beyond next year. Python's calendar ends at year 1 and
# 9999: a period's end is worked out as the day after it, and a chart reaches back a
# week before its start, so dates near either end would overflow and fail the page.
EARLIEST_PERIOD_DATE = date(2000, 1, 1)


def latest_period_date(today):
    """The last date a period may name: the end of next year."""
    return date(today.year + 1, 12, 31)


def long_date(day):
    """1 January 2000, in the words and order of the language in use."""
    return date_format(day, pgettext("a long date", "j F Y"))


class DateRangeForm(forms.Form):
    """An optional date range for exports and reports (both ends inclusive).

    Each end must lie from EARLIEST_PERIOD_DATE to latest_period_date(); the error
    says so.
    """

    start = forms.DateField(
        required=False,
        label=pgettext_lazy("a period's start", "From"),
        widget=webapp.DateInput(),
        error_messages={"invalid": gettext_lazy("The start is not a real date. Please check it.")},
    )
    end = forms.DateField(
        required=False,
        label=pgettext_lazy("a period's end", "To"),
        widget=webapp.DateInput(),
        error_messages={"invalid": gettext_lazy("The end is not a real date. Please check it.")},
    )

    def within_bounds(self, day):
        latest = latest_period_date(timezone.localdate())
        if day is not None and not EARLIEST_PERIOD_DATE <= day <= latest:
            raise forms.ValidationError(
                _("Please choose a date from %(start)s to %(end)s.")
                % {"start": long_date(EARLIEST_PERIOD_DATE), "end": long_date(latest)},
                code="out_of_range",
            )
        return day

    def clean_start(self):
        return self.within_bounds(self.cleaned_data["start"])

    def clean_end(self):
        return self.within_bounds(self.cleaned_data["end"])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        return cleaned

    def bounds(self):
        """(start, end) as aware datetimes in clinic time; None for an open end."""
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get("start"), data.get("end")
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(start, time.min, tzinfo=tz) if start else None,
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz) if end else None,
        )


# Check-in reminders: the patient's choice, or a practitioner's suggestion.

# Every half hour from 07:00 to 21:30: waking hours, and never a time the clocks
# skip or repeat in spring or autumn (those fall at night).
REMINDER_TIMES = [time(hour, minute) for hour in range(7, 22) for minute in (0, 30)]
DEFAULT_REMINDER_TIME = time(18, 0)


def parse_reminder_time(value):
    return time.fromisoformat(value)


class CsvExportForm(DateRangeForm):
    """The CSV's period and whether it starts with a byte-order mark (on unless bom=0):
    Excel needs it to read UTF-8; other programs may not want it."""

    bom = forms.TypedChoiceField(
        required=False,
        choices=[("1", gettext_lazy("For Excel")), ("0", gettext_lazy("Plain UTF-8"))],
        coerce=lambda value: value == "1",
        empty_value=True,
        error_messages={
            "invalid_choice": gettext_lazy("bom must be 1 (for Excel) or 0 (plain UTF-8).")
        },
    )


class ReminderForm(forms.Form):
    """How often and when: frequency tiles, weekday tiles, a time select. No sliders."""

    frequency = forms.ChoiceField(
        label=gettext_lazy("How often?"),
        choices=[(code, gettext_lazy(words)) for code, words in reminders.FREQUENCIES],
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Please choose how often, or ‘No reminders’."),
            "invalid_choice": gettext_lazy("Please choose how often from the list."),
        },
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Which days?"),
        choices=[(n, gettext_lazy(name)) for n, name in enumerate(reminders.WEEKDAY_NAMES)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Only for ‘On the days I choose’."),
        error_messages={"invalid_choice": gettext_lazy("Please choose days from the list.")},
    )
    at = forms.TypedChoiceField(
        label=gettext_lazy("At what time?"),
        choices=[(f"{t:%H:%M}", f"{t:%H:%M}") for t in REMINDER_TIMES],
        coerce=parse_reminder_time,
        # Needed unless "No reminders": clean() says so.
        required=False,
        empty_value=None,
        initial=f"{DEFAULT_REMINDER_TIME:%H:%M}",
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
        error_messages={
            "invalid_choice": gettext_lazy("Please choose a time from the list."),
        },
    )

    def __init__(self, *args, narrow=False, **kwargs):
        """narrow: for a side column, where wide tiles would not fit."""
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        self.fields["at"].help_text = _("Clinic time (%(zone)s).") % {"zone": zone}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field(
                "frequency",
                template="tracker/fields/choice_tiles.html",
                wrapper_class="" if narrow else "choice-tiles-wide",
            ),
            Field(
                "weekdays",
                template="tracker/fields/choice_tiles.html",
                wrapper_class="choice-tiles-days",
            ),
            "at",
        )

    @staticmethod
    def initial_for(schedule):
        """Initial values showing a Schedule (or the defaults for none)."""
        if schedule is None:
            return {}
        at = schedule.at or DEFAULT_REMINDER_TIME
        return {
            "frequency": schedule.frequency,
            "weekdays": sorted(schedule.weekdays),
            "at": f"{at:%H:%M}",
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("frequency") == reminders.WEEKDAYS and not cleaned.get("weekdays"):
            self.add_error("weekdays", _("Please choose at least one day."))
        off = cleaned.get("frequency") == reminders.OFF
        if not off and "at" not in self.errors and cleaned.get("at") is None:
            self.add_error("at", _("Please choose a time."))
        return cleaned

    def chosen(self):
        """(frequency, time, weekdays) from a valid form."""
        data = self.cleaned_data
        return data["frequency"], data["at"], set(data["weekdays"])


class CareTeamForm(forms.Form):
    """Add a practitioner to a patient's care team: any active one not already caring for them."""

    practitioner = forms.ModelChoiceField(
        label=gettext_lazy("Add a practitioner"),
        queryset=Practitioner.objects.none(),
        empty_label=gettext_lazy("Choose a practitioner"),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "required": gettext_lazy("Please choose a practitioner."),
            "invalid_choice": gettext_lazy(
                "That practitioner cannot be added: they may be in the team "
                "already, or no longer work here."
            ),
        },
    )

    def __init__(self, patient, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = (
            Practitioner.objects.filter(user__is_active=True)
            .exclude(pk=patient.practitioner_id)
            .exclude(care_of__patient=patient)
        )


class LanguageForm(forms.Form):
    """The user's language among those the clinic offers (tracker/languages.py)."""

    language = forms.ChoiceField(
        label=gettext_lazy("Which language?"),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": gettext_lazy("Please choose a language from the list.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each in its own words, as settings.LANGUAGES names it ("Español", not "Spanish").
        self.fields["language"].choices = list(languages.offered().items())
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field("language", template="tracker/fields/choice_tiles.html"),
        )


# --- The Team page (tracker/views/staff.py): staff invite practitioners and staff ----

TEAM_ROLE_CHOICES = [
    ("practitioner", gettext_lazy("Practitioner: sees and treats their own patients")),
    ("staff", gettext_lazy("Clinic staff: manages the team and accounts, sees no patient pages")),
]
TEAM_CHANNEL_CHOICES = [
    ("email", gettext_lazy("Email them a link")),
    ("sheet", gettext_lazy("Print a sign-in sheet to hand over")),
]


class InviteTeamMemberForm(forms.Form):
    """A new practitioner or staff member, who chooses their own password from a link or
    a printed sheet. With an address, it is the username; without, one is made up."""

    display_name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("As patients and colleagues will see it, e.g. Dr Ana Silva."),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=TEAM_ROLE_CHOICES, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        required=False,
        max_length=150,
        error_messages=EMAIL_ERRORS,
        help_text=gettext_lazy("Needed to email a link; optional with a printed sheet."),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("How they get their link"),
        choices=TEAM_CHANNEL_CHOICES,
        initial="email",
        widget=forms.RadioSelect,
    )

    def clean_display_name(self):
        return " ".join(self.cleaned_data["display_name"].split())

    def clean_email(self):
        return unused_email(
            self.cleaned_data["email"],
            _("Someone already has an account with this email address."),
        )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("channel") == "email"
            and not cleaned.get("email")
            and "email" not in (self.errors)
        ):
            self.add_error("email", _("Type their email address, or choose a printed sheet."))
        return cleaned
