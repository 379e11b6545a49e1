"""Forms for what patients report beside the scores (issue 18): the questions after a
check-in and the medicine list. Every answer is optional; tiles, never sliders."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker import mnsi, webapp
from tracker.forms import Disclosure, NoteField, long_date
from tracker.models import ImpressionOfChange, Medicine, MedicineEventKind, SideEffect
from tracker.reported import (
    CHANGE_NOTE_MAX_LENGTH,
    MEDICINE_DOSE_MAX_LENGTH,
    MEDICINE_NAME_MAX_LENGTH,
)

TILES = "tracker/fields/choice_tiles.html"
YES_NO = [(True, gettext_lazy("Yes")), (False, gettext_lazy("No"))]
YES_OR_NO = gettext_lazy("Please choose Yes or No.")


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
                _("Last night, how much did your symptoms disturb your sleep?"),
                [(n, str(n)) for n in range(11)],
                int,
                _("Please choose a number from 0 to 10."),
                help_text=_("0 means not at all, 10 that you could not sleep at all."),
            )
            self.fields["fell"] = optional_choice(
                _("Have you had a fall since last week?"),
                YES_NO,
                yes_no,
                YES_OR_NO,
                help_text=_("Any fall, even if you were not hurt."),
            )
            layout += [
                Field("sleep_interference", template="tracker/fields/sleep_scale.html"),
                Field("fell", template=TILES),
            ]
        if due.impression_session:
            self.fields["impression"] = optional_choice(
                _("Since your acupuncture began, how has your neuropathy changed overall?"),
                [(value, gettext_lazy(words)) for value, words in ImpressionOfChange.choices],
                int,
                _("Please choose one of the answers."),
                help_text=_("Think of your symptoms, what you can do, and how you feel."),
            )
            layout.append(Field("impression", template=TILES, wrapper_class="choice-tiles-wide"))
        if due.side_effect_session:
            when = timezone.localtime(due.side_effect_session.when)
            self.fields["side_effects"] = forms.MultipleChoiceField(
                label=_("Any side effects since your session on %(day)s?")
                % {"day": long_date(when.date())},
                help_text=_("Choose all that apply."),
                choices=[(value, gettext_lazy(words)) for value, words in SideEffect.choices],
                required=False,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"invalid_choice": _("Please choose from the list.")},
            )
            layout.append(Field("side_effects", template=TILES))
        for event in due.medicine_events:
            if event.kind == MedicineEventKind.EXTRA_DOSE:
                which = _("Which medicine was the extra dose?")
            else:
                which = _("Which medicine was the change?")
            if due.medicines:
                name = f"medicine_{event.pk}"
                self.fields[name] = forms.ModelChoiceField(
                    label=which,
                    queryset=Medicine.objects.filter(pk__in=[m.pk for m in due.medicines]),
                    required=False,
                    widget=forms.RadioSelect,
                    empty_label=None,
                    error_messages={"invalid_choice": _("Please choose from your list.")},
                )
                self.fields[name].choices = [(m.pk, str(m)) for m in due.medicines]
                layout.append(Field(name, template=TILES, wrapper_class="choice-tiles-wide"))
            if event.kind == MedicineEventKind.CHANGED:
                name = f"change_{event.pk}"
                self.fields[name] = NoteField(
                    label=_("What changed? (optional)"),
                    help_text=_("For example: new medicine, higher dose, stopped one."),
                    required=False,
                    max_length=CHANGE_NOTE_MAX_LENGTH,
                    widget=forms.TextInput(attrs={"maxlength": CHANGE_NOTE_MAX_LENGTH}),
                    error_messages={
                        "max_length": _("Please keep it to %(limit_value)d characters or fewer.")
                    },
                )
                layout.append(name)
        if due.mnsi:
            names = [f"mnsi_{number}" for number in range(1, len(mnsi.ITEMS) + 1)]
            for name, item in zip(names, mnsi.ITEMS, strict=True):
                self.fields[name] = optional_choice(_(item), YES_NO, yes_no, YES_OR_NO)
            layout.append(
                Disclosure(
                    ngettext(
                        "Every %(weeks)s week: %(count)s yes-or-no questions about your legs "
                        "and feet",
                        "Every %(weeks)s weeks: %(count)s yes-or-no questions about your legs "
                        "and feet",
                        mnsi.INTERVAL_WEEKS,
                    )
                    % {"weeks": mnsi.INTERVAL_WEEKS, "count": len(names)},
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
                    _(
                        "Please answer all %(count)s questions about your legs and feet, "
                        "or none of them."
                    )
                    % {"count": len(given)},
                )
            else:
                cleaned["mnsi"] = given
        return cleaned

    def clean_side_effects(self):
        effects = self.cleaned_data["side_effects"]
        if SideEffect.NONE in effects and len(effects) > 1:
            raise forms.ValidationError(
                _("You chose ‘None’ and a side effect. Please choose one or the other.")
            )
        return effects


class MedicineForm(forms.ModelForm):
    """A line of the patient's medicine list."""

    class Meta:
        model = Medicine
        fields = ["name", "dose", "started", "stopped"]
        labels = {
            "name": gettext_lazy("Medicine"),
            "dose": gettext_lazy("How much and how often (optional)"),
            "started": gettext_lazy("Started on (optional)"),
            "stopped": gettext_lazy("Stopped on (optional)"),
        }
        help_texts = {
            "name": gettext_lazy("As on the box, for example: Pregabalin."),
            "dose": gettext_lazy("For example: 75 mg twice a day."),
            "stopped": gettext_lazy("Leave empty while you still take it."),
        }
        widgets = {
            "name": forms.TextInput(attrs={"maxlength": MEDICINE_NAME_MAX_LENGTH}),
            "dose": forms.TextInput(attrs={"maxlength": MEDICINE_DOSE_MAX_LENGTH}),
            "started": webapp.DateInput(),
            "stopped": webapp.DateInput(),
        }
        error_messages = {
            "name": {
                "required": gettext_lazy("Please give the medicine's name."),
                "max_length": gettext_lazy("Please keep the name to %(limit_value)d characters."),
            },
            "dose": {
                "max_length": gettext_lazy("Please keep this to %(limit_value)d characters."),
            },
            "started": {"invalid": gettext_lazy("That is not a real date. Please check it.")},
            "stopped": {"invalid": gettext_lazy("That is not a real date. Please check it.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please give the medicine's name."))
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
                self.add_error(name, _("That date is in the future. Please check it."))
        if started and stopped and stopped < started:
            self.add_error("stopped", _("The stop date is before the start date. Please check it."))
        return cleaned
