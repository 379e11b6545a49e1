import uuid
from datetime import timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils import timezone

from tracker.models import NOTE_MAX_LENGTH, BodyLocation, SymptomEntry

# How far back a patient may date an entry: people remember a week well enough.
BACKDATE_LIMIT = timedelta(days=7)

SCORE_CHOICES = [(n, str(n)) for n in range(11)]

SCORE_QUESTIONS = {
    "pain": ("Pain", "Any aching, burning, sharp or stabbing pain."),
    "numbness": (
        "Numbness",
        "Loss of feeling, like a hand or foot that has \u2018gone to sleep\u2019.",
    ),
    "tingling": ("Tingling", "Pins and needles, prickling or buzzing."),
}


class ScoreField(forms.TypedChoiceField):
    """A 0-10 rating drawn as eleven big radio buttons."""

    def __init__(self, symptom, **kwargs):
        label, hint = SCORE_QUESTIONS[symptom]
        super().__init__(
            choices=SCORE_CHOICES,
            coerce=int,
            widget=forms.RadioSelect,
            label=label,
            help_text=hint,
            error_messages={
                "required": f"Please choose a number for {label.lower()}. "
                "Choose 0 if you have none.",
                "invalid_choice": f"{label} must be a whole number from 0 to 10.",
            },
            **kwargs,
        )


class SymptomEntryForm(forms.ModelForm):
    """The check-in. `now` is the moment the form is checked against.

    New entries may be dated up to 7 days back from now. An entry being edited
    keeps the window it was made in (7 days before it was first saved), so a
    fix made a day later does not push a backdated entry out of range.
    """

    pain = ScoreField("pain")
    numbness = ScoreField("numbness")
    tingling = ScoreField("tingling")
    when = forms.ChoiceField(
        choices=[("now", "Now"), ("earlier", "Earlier")],
        widget=forms.RadioSelect,
        initial="now",
        label="When did you feel this?",
    )
    recorded_at = forms.DateTimeField(
        required=False,
        label="Date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "That is not a real date and time. Please check it."},
    )
    locations = forms.MultipleChoiceField(
        choices=BodyLocation.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Where do you feel it? (optional)",
        error_messages={"invalid_choice": "Please choose places from the list."},
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Anything else? (optional)",
        help_text="For example: burning at night, cramps, a fall, a change in medicine.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        error_messages={
            "max_length": "Your note is %(show_value)d characters long. "
            "Please keep it to %(limit_value)d or fewer."
        },
    )
    # The one-time token: the same value in a resent form finds the entry it made.
    token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = SymptomEntry
        fields = ["pain", "numbness", "tingling", "locations", "note"]

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        if self.instance.pk:
            # Editing: the time is shown as it is; there is no "now" to choose.
            del self.fields["when"]
            self.fields["recorded_at"].required = True
            self.fields["recorded_at"].error_messages["required"] = "Please give the date and time."
            self.earliest = self.instance.created_at - BACKDATE_LIMIT
            self.initial.setdefault("recorded_at", timezone.localtime(self.instance.recorded_at))
        else:
            self.earliest = self.now - BACKDATE_LIMIT
            self.initial.setdefault("token", uuid.uuid4())
        limits = self.fields["recorded_at"].widget.attrs
        limits["min"] = timezone.localtime(self.earliest).strftime("%Y-%m-%dT%H:%M")
        limits["max"] = timezone.localtime(self.now).strftime("%Y-%m-%dT%H:%M")
        self.fields[
            "recorded_at"
        ].help_text = f"Up to 7 days back. Clinic time ({timezone.get_current_timezone_name()})."

        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field("pain", template="tracker/fields/score_scale.html"),
            Field("numbness", template="tracker/fields/score_scale.html"),
            Field("tingling", template="tracker/fields/score_scale.html"),
            Div(
                *(
                    [Field("when", template="tracker/fields/when.html")]
                    if "when" in self.fields
                    else []
                ),
                Field("recorded_at", wrapper_class="earlier-field"),
                css_class="when-group",
            ),
            Field("locations", template="tracker/fields/choice_tiles.html"),
            Field("note", template="tracker/fields/note.html"),
            "token",
        )

    def clean_token(self):
        return self.cleaned_data.get("token") or uuid.uuid4()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == "now":
            cleaned["recorded_at"] = self.now
            return cleaned
        at = cleaned.get("recorded_at")
        if at is None:
            if "recorded_at" not in self.errors and "when" in cleaned:
                self.add_error(
                    "recorded_at", "Please give the date and time, or choose \u2018Now\u2019."
                )
        elif at > self.now:
            self.add_error("recorded_at", "That time is in the future. Please check it.")
        elif at < self.earliest:
            self.add_error(
                "recorded_at", "That is more than 7 days ago. You can log up to 7 days back."
            )
        return cleaned

    def save(self, commit=True):
        self.instance.recorded_at = self.cleaned_data["recorded_at"]
        if not self.instance.pk:
            self.instance.public_id = self.cleaned_data["token"]
        return super().save(commit)
