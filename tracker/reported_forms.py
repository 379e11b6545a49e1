"""Forms for what patients report beside the scores (issue 18): the questions after a
check-in and the medicine list. Every answer is optional; tiles, never sliders."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.utils import timezone

from tracker import mnsi, webapp
from tracker.forms import Disclosure, NoteField, long_date
from tracker.models import ImpressionOfChange, Medicine, MedicineEventKind, SideEffect
from tracker.reported import (
    CHANGE_NOTE_MAX_LENGTH,
    MEDICINE_DOSE_MAX_LENGTH,
    MEDICINE_NAME_MAX_LENGTH,
)

TILES = "tracker/fields/choice_tiles.html"
YES_NO = [(True, "Yes"), (False, "No")]
YES_OR_NO = "Please choose Yes or No."


def yes_no(value):
    return {"True": True, "False": False}.get(value)


def optional_choice(label, choices, coerce, message, help_text=""):
    """One question as radio buttons or tiles, which the patient may leave unanswered."""
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=choices,
        coerce=coerce,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": message},
    )


class FollowUpForm(forms.Form):
    """The questions due after a check-in (followup.Due): only those are fields."""

    def __init__(self, due, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.due = due
        layout = []
        if due.week:
            self.fields["sleep_interference"] = optional_choice(
                "Last night, how much did your symptoms disturb your sleep?",
                [(n, str(n)) for n in range(11)],
                int,
                "Please choose a number from 0 to 10.",
                help_text="0 means not at all, 10 that you could not sleep at all.",
            )
            self.fields["fell"] = optional_choice(
                "Have you had a fall since last week?",
                YES_NO,
                yes_no,
                YES_OR_NO,
                help_text="Any fall, even if you were not hurt.",
            )
            layout += [
                Field("sleep_interference", template="tracker/fields/sleep_scale.html"),
                Field("fell", template=TILES),
            ]
        if due.impression_session:
            self.fields["impression"] = optional_choice(
                "Since your acupuncture began, how has your neuropathy changed overall?",
                ImpressionOfChange.choices,
                int,
                "Please choose one of the answers.",
                help_text="Think of your symptoms, what you can do, and how you feel.",
            )
            layout.append(Field("impression", template=TILES, wrapper_class="choice-tiles-wide"))
        if due.side_effect_session:
            when = timezone.localtime(due.side_effect_session.when)
            self.fields["side_effects"] = forms.MultipleChoiceField(
                label=f"Any side effects since your session on {long_date(when.date())}?",
                help_text="Choose all that apply.",
                choices=SideEffect.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"invalid_choice": "Please choose from the list."},
            )
            layout.append(Field("side_effects", template=TILES))
        for event in due.medicine_events:
            kind = "extra dose" if event.kind == MedicineEventKind.EXTRA_DOSE else "change"
            if due.medicines:
                name = f"medicine_{event.pk}"
                self.fields[name] = forms.ModelChoiceField(
                    label=f"Which medicine was the {kind}?",
                    queryset=Medicine.objects.filter(pk__in=[m.pk for m in due.medicines]),
                    required=False,
                    widget=forms.RadioSelect,
                    empty_label=None,
                    error_messages={"invalid_choice": "Please choose from your list."},
                )
                self.fields[name].choices = [(m.pk, str(m)) for m in due.medicines]
                layout.append(Field(name, template=TILES, wrapper_class="choice-tiles-wide"))
            if event.kind == MedicineEventKind.CHANGED:
                name = f"change_{event.pk}"
                self.fields[name] = NoteField(
                    label="What changed? (optional)",
                    help_text="For example: new medicine, higher dose, stopped one.",
                    required=False,
                    max_length=CHANGE_NOTE_MAX_LENGTH,
                    widget=forms.TextInput(attrs={"maxlength": CHANGE_NOTE_MAX_LENGTH}),
                    error_messages={
                        "max_length": "Please keep it to %(limit_value)d characters or fewer."
                    },
                )
                layout.append(name)
        if due.mnsi:
            names = [f"mnsi_{number}" for number in range(1, len(mnsi.ITEMS) + 1)]
            for name, item in zip(names, mnsi.ITEMS, strict=True):
                self.fields[name] = optional_choice(
                    item, YES_NO, yes_no, "Please choose Yes or No."
                )
            layout.append(
                Disclosure(
                    f"Every {mnsi.INTERVAL_WEEKS} weeks: {len(names)} yes-or-no questions "
                    "about your legs and feet",
                    *(Field(name, template=TILES) for name in names),
                )
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*layout)

    def clean(self):
        cleaned = super().clean()
        if self.due.mnsi:
            given = [cleaned.get(f"mnsi_{n}") for n in range(1, len(mnsi.ITEMS) + 1)]
            if all(answer is None for answer in given):
                cleaned["mnsi"] = None  # skipped
            elif any(answer is None for answer in given) and not self.errors:
                missing = next(n for n, answer in enumerate(given, start=1) if answer is None)
                self.add_error(
                    f"mnsi_{missing}",
                    f"Please answer all {len(given)} questions about your legs and feet, "
                    "or none of them.",
                )
            else:
                cleaned["mnsi"] = given
        return cleaned

    def clean_side_effects(self):
        effects = self.cleaned_data["side_effects"]
        if SideEffect.NONE in effects and len(effects) > 1:
            raise forms.ValidationError(
                "You chose \u2018None\u2019 and a side effect. Please choose one or the other."
            )
        return effects


class MedicineForm(forms.ModelForm):
    """A line of the patient's medicine list."""

    class Meta:
        model = Medicine
        fields = ["name", "dose", "started", "stopped"]
        labels = {
            "name": "Medicine",
            "dose": "How much and how often (optional)",
            "started": "Started on (optional)",
            "stopped": "Stopped on (optional)",
        }
        help_texts = {
            "name": "As on the box, for example: Pregabalin.",
            "dose": "For example: 75 mg twice a day.",
            "stopped": "Leave empty while you still take it.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"maxlength": MEDICINE_NAME_MAX_LENGTH}),
            "dose": forms.TextInput(attrs={"maxlength": MEDICINE_DOSE_MAX_LENGTH}),
            "started": webapp.DateInput(),
            "stopped": webapp.DateInput(),
        }
        error_messages = {
            "name": {
                "required": "Please give the medicine's name.",
                "max_length": f"Please keep the name to {MEDICINE_NAME_MAX_LENGTH} characters.",
            },
            "dose": {
                "max_length": f"Please keep this to {MEDICINE_DOSE_MAX_LENGTH} characters.",
            },
            "started": {"invalid": "That is not a real date. Please check it."},
            "stopped": {"invalid": "That is not a real date. Please check it."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Please give the medicine's name.")
        return name

    def clean_dose(self):
        return " ".join(self.cleaned_data["dose"].split())

    def clean(self):
        cleaned = super().clean()
        started, stopped = cleaned.get("started"), cleaned.get("stopped")
        today = timezone.localdate()
        for name in ("started", "stopped"):
            day = cleaned.get(name)
            if day is not None and day > today:
                self.add_error(name, "That date is in the future. Please check it.")
        if started and stopped and stopped < started:
            self.add_error("stopped", "The stop date is before the start date. Please check it.")
        return cleaned
