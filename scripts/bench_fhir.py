"""The FHIR export of the bench patient (bench.patient0000, about two years of entries):
bytes, resources, SQL queries, wall and CPU time, and peak traced memory while the
bundle is written. Prints JSON on stdout.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relief_bench \\
        .venv/bin/python scripts/bench_fhir.py

(The bench clinic comes from `manage.py seed_bench`, as for `make bench`.)
"""

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tracker import fhir  # noqa: E402
from tracker.models import Patient  # noqa: E402

PATIENT = "bench.patient0000"


def main():
    patient = Patient.objects.select_related("practitioner").get(user__username=PATIENT)
    entries = patient.entries.count()
    tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        size = resources = 0
        for chunk in fhir.chunks(patient, timezone.now()):
            size += len(chunk.encode())
            resources += 1
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {
        "patient": PATIENT,
        "entries": entries,
        "resources": resources - 2,  # the bundle's opening and closing text are chunks too
        "bytes": size,
        "queries": len(queries),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_traced_bytes": peak,
        "database": connection.vendor,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
