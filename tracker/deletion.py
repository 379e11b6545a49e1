"""A patient's request to have their account and data erased (issue 19).

The patient asks from /account/ (tracker/views/erasure.py); staff carry the request out
or decline it in the admin (tracker/admin.py); carrying it out is tracker/erasure.py.

The request outlives the erasure, as the clinic's record that it was asked for and
done: erasing it sets `patient` to null and empties the patient's own reason, so the
row then names nobody (a check constraint holds it to that).

Imported by tracker/models.py, so the model belongs to the tracker app.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

REASON_MAX_LENGTH = 1000


class DeletionStatus(models.TextChoices):
    OPEN = "open", gettext_lazy("Waiting for the clinic")
    DONE = "done", gettext_lazy("Carried out")
    DECLINED = "declined", gettext_lazy("Declined")
    # The patient changed their mind before the clinic answered.
    WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn by the patient")


class DeletionRequest(models.Model):
    patient = models.ForeignKey(
        "tracker.Patient",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="deletion_requests",
    )
    status = models.CharField(
        max_length=10, choices=DeletionStatus.choices, default=DeletionStatus.OPEN
    )
    # The patient's own words, optional. Emptied when the request is carried out.
    reason = models.TextField(
        max_length=REASON_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(REASON_MAX_LENGTH)],
    )
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Shown to the patient on /account/ when the clinic declines.
    decline_reason = models.TextField(
        max_length=REASON_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(REASON_MAX_LENGTH)],
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status=DeletionStatus.OPEN),
                name="deletion_request_one_open_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeletionStatus.values), name="deletion_request_status_known"
            ),
            # Declined: the patient is told why. Carried out: nothing left that names them.
            models.CheckConstraint(
                condition=~Q(status=DeletionStatus.DECLINED) | ~Q(decline_reason=""),
                name="deletion_request_declined_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeletionStatus.DONE) | Q(patient=None, reason=""),
                name="deletion_request_done_names_nobody",
            ),
            models.CheckConstraint(
                condition=Q(status=DeletionStatus.OPEN) | Q(decided_at__isnull=False),
                name="deletion_request_decided_when",
            ),
        ]

    def __str__(self):
        return f"Deletion request {self.pk} ({self.get_status_display().lower()})"

    @property
    def is_open(self):
        return self.status == DeletionStatus.OPEN
