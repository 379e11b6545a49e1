# Joins the two branches made side by side from 0008: reminders (0009) and the
# invitation's purpose and channel (0010). No operations.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0009_reminders"),
        ("tracker", "0010_invitation_purpose_and_channel"),
    ]

    operations = []
