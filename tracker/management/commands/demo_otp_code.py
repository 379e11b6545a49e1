import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Print the current 6-digit two-step sign-in code of a demo account "
        "(default demo.practitioner). Debug only: it reads the secret from the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="demo.practitioner")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Debug is off: this looks like a real clinic, where codes come only from "
                "each person's own phone."
            )
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no authenticator. Run `manage.py seed_demo` first.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()  # one moment for the code and the seconds left
        left = device.step - (int(totp.time) - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(
            f"The code for {username}, valid for {left} more seconds. Each code works once: "
            "if it was just used, wait for the next one."
        )
