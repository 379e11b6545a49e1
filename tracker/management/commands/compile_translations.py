"""Compile the message files in locale/ (.po, written by hand) into the .mo files Django
reads. polib does it in Python, so that a fresh machine needs no gettext tools:
`make run` and `make test` run this first."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (refusing fuzzy entries)."

    def handle(self, *args, **options):
        compiled = 0
        for folder in settings.LOCALE_PATHS:
            for source in sorted(Path(folder).glob("*/LC_MESSAGES/*.po")):
                catalogue = polib.pofile(str(source))
                fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
                if fuzzy:
                    raise CommandError(f"{source}: fuzzy entries, check them first: {fuzzy}")
                catalogue.save_as_mofile(str(source.with_suffix(".mo")))
                compiled += 1
        self.stdout.write(f"Compiled {compiled} message files.")
