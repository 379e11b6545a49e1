"""The worklist's patient cell, and in it a flagged patient's review: who reviewed
it and when, "Undo review", or the "Mark reviewed" form (also on the patient page).

Drawn here rather than by template markup: as an {% include %} the review alone
cost a tenth of the worklist's whole time (50 rows, each with its own forms), and
the page was slower than before reviews existed (issue 16 asks for it to stay
within 10%). Every value goes through format_html(), which escapes it.
"""

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tracker.worklist import path_for

register = template.Library()


@register.simple_tag(takes_context=True)
def patient_cell(context, row, now, next_url):
    """The first cell of a worklist row: name, identity, kind, flags and review."""
    patient = row.patient
    parts = [format_html('<a href="{}">{}</a>', row.url, patient.display_name)]
    identity = patient.identity_line()
    if identity:
        parts.append(format_html('<div class="small fw-normal identity">{}</div>', identity))
    parts.append(
        format_html(
            '<div class="small fw-normal text-body-secondary">{}{}</div>',
            patient.get_neuropathy_kind_display(),
            "" if patient.practitioner_id == context.get("my_id") else _(" · care team"),
        )
    )
    if patient.is_discharged:
        parts.append(
            format_html(
                '<div class="small fw-normal course-finished">{}</div>',
                _("Course finished on %(day)s")
                % {"day": dateformat.format(patient.discharged_on, _("j M Y"))},
            )
        )
        return mark_safe("\n".join(parts))
    flags = format_html_join(
        "",
        '<span class="flag flag-{}" tabindex="0" data-help="{}"'
        ' aria-describedby="flag-help-{}">{}</span> ',
        ((f["name"], f["help"], f["name"], f["label"]) for f in row.flag_list),
    )
    parts.append(format_html('<div class="flags fw-normal">{}</div>', flags))
    parts.append(review_status(context, row, now, next_url))
    return mark_safe("\n".join(parts))


@register.simple_tag(takes_context=True)
def review_status(context, row, now, next_url):
    """row: a worklist.WorklistRow; next_url: where the forms come back to."""
    csrf = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">',
        context.get("csrf_token", ""),
        next_url,
    )
    patient, review, parts = row.patient, row.review, []
    if review:
        at = timezone.localtime(review.at)
        same_day = at.date() == timezone.localtime(now).date()
        parts.append(
            format_html(
                '<p class="review-status small fw-normal mb-1{}">{}{}{}</p>',
                "" if row.reviewed else " review-reopened",
                _("Reviewed by %(name)s, %(when)s")
                % {
                    "name": row.reviewer_name,
                    "when": dateformat.format(at, "H:i" if same_day else _("j M, H:i")),
                },
                format_html(" &mdash; {}", row.review_note) if row.review_note else "",
                format_html(". <strong>{}</strong>", _("New since then."))
                if not row.reviewed and row.flags.any
                else "",
            )
        )
        if row.can_undo:
            parts.append(
                format_html(
                    '<form method="post" action="{}" class="no-print mb-1">{}'
                    '<button type="submit" class="btn btn-sm btn-outline-secondary btn-tap">'
                    '{}<span class="visually-hidden"> {}</span></button></form>',
                    path_for("tracker:undo_review", patient.public_id),
                    csrf,
                    _("Undo review"),
                    _("of %(name)s") % {"name": patient.display_name},
                )
            )
    if row.needs_attention:
        parts.append(
            format_html(
                '<details class="review-form no-print fw-normal">'
                '<summary class="btn btn-sm btn-outline-primary btn-tap">{mark}'
                '<span class="visually-hidden">: {name}</span></summary>'
                '<form method="post" action="{action}" class="mt-2" novalidate>{csrf}'
                '<label class="form-label small" for="review-note-{id}">{note}</label>'
                '<input class="form-control form-control-sm mb-2" type="text" name="note"'
                ' id="review-note-{id}" maxlength="{max}"'
                ' placeholder="{placeholder}">'
                '<button type="submit" class="btn btn-primary btn-tap">{mark}'
                '<span class="visually-hidden">: {name}</span></button></form></details>',
                mark=_("Mark reviewed"),
                note=_("Note (optional)"),
                placeholder=_("e.g. called, booked an earlier session"),
                name=patient.display_name,
                action=path_for("tracker:review", patient.public_id),
                csrf=csrf,
                id=patient.public_id,
                max=context.get("review_note_max", ""),
            )
        )
    return mark_safe("".join(parts))
