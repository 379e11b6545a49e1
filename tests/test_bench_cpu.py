"""The CPU-per-request benchmark (scripts/bench_cpu.py), on a tiny bench clinic.

`make bench-cpu` takes a minute and the bench clinic; this runs its measuring code for a
few requests on the test database, so that a renamed URL or form field, or a broken
reading of the database backend's CPU, fails here rather than in the next benchmark.
"""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from tracker.models import SymptomEntry
from tracker.security import end_sessions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import bench_cpu  # noqa: E402

PAGES = {"ping_patient", "history", "checkin_post"}


@pytest.fixture
def clinic(db):
    call_command("seed_bench", patients=4, practitioners=2, days=30, stdout=StringIO())


def test_the_script_starts_without_django_settings():
    # make bench runs it as a plain script: nothing it imports before setup may need settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    done = subprocess.run(
        [sys.executable, bench_cpu.__file__, "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_cpu_per_request_of_a_page_and_its_ping(clinic):
    entries = SymptomEntry.objects.count()
    results = bench_cpu.measure_pages(
        "bench.practitioner00",
        "bench.patient0000",
        ["bench.patient0002", "bench.patient0003"],
        rounds=2,
        requests=2,
        keys=PAGES,
    )
    assert set(results) == PAGES
    for r in results.values():
        assert r["app_ms"] > 0 and r["total_ms"] >= r["app_ms"]
        if connection.vendor == "postgresql":
            # The backend's own time on CPU, read from /proc.
            assert r["db_ms"] > 0
        else:
            assert r["db_ms"] == 0  # SQLite: no backend process, its work is app CPU
    assert results["ping_patient"]["batches"] == 4  # one before each page, per round
    for key in ("history", "checkin_post"):
        r = results[key]
        assert r["ping"] == "ping_patient" and r["batches"] == 2
        for batch in r["per_batch"]:
            assert batch["ratio"] == pytest.approx(batch["ping_total_ms"] / batch["total_ms"])
        low, high = r["ratio_spread"]
        assert 0 < low <= r["ratio"] <= high
    # The check-ins the benchmark made (warm-up round included) are gone again.
    assert SymptomEntry.objects.count() == entries


def test_the_database_cpu_note_says_what_was_measured(db):
    note = bench_cpu.database_note()
    if connection.vendor == "postgresql":
        assert "schedstat" in note
    else:
        assert "counted as 0" in note


def test_a_batch_is_measured_again_after_someone_signs_the_users_out(clinic):
    # Another run on the shared bench clinic signing a bench user out ends all their sessions.
    pages, clients, sign_in_again = bench_cpu.bench_pages(
        "bench.practitioner00", "bench.patient0000", [], keys={"ping_patient", "history"}
    )
    patient = User.objects.get(username="bench.patient0000")
    end_sessions(patient)
    with pytest.raises(bench_cpu.SignedOut):
        bench_cpu.measure(pages, rounds=1, requests=1, warmup_rounds=0)
    end_sessions(patient)
    results = bench_cpu.measure(pages, rounds=1, requests=1, warmup_rounds=0, sign_in=sign_in_again)
    assert results["history"]["batches"] == 1


def test_the_benchmark_ends_its_own_sessions_only(clinic):
    elsewhere = bench_cpu.signed_in("bench.patient0000")
    measured = bench_cpu.signed_in("bench.patient0000")
    bench_cpu.end_own_session(measured)
    assert measured.get("/ping/").status_code == 302
    assert elsewhere.get("/ping/").status_code == 200


def test_the_larger_clinics_have_databases_of_their_own():
    assert bench_cpu.harness.bench_database(1) == "relief_bench"
    assert bench_cpu.harness.bench_database(10) == "relief_bench_x10"


def test_sizes_take_turns_so_that_each_runs_as_often_early_as_late():
    assert bench_cpu.scale_order(10, 2) == [1, 10, 10, 1]
    assert bench_cpu.scale_order(10, 3) == [1, 10, 10, 1, 1, 10]


def size_run(ping_ms, page_ms):
    """A run's results as measure() gives them, for a /ping/ and one page."""
    page = {"label": "history", "ping": "ping_patient", "app_ms": page_ms - 1, "db_ms": 1.0}
    page.update(total_ms=page_ms, ratio=ping_ms / page_ms)
    ping = {"label": "/ping/", "ping": None, "app_ms": ping_ms - 1, "db_ms": 1.0}
    ping.update(total_ms=ping_ms, ratio=1.0)
    return {"pages": {"ping_patient": ping, "history": page}}


def queries(history):
    return {"pages": {"ping_patient": {"queries": 3}, "history": {"queries": history}}}


def test_a_page_that_grows_with_the_clinic_is_named():
    small = bench_cpu.combine_runs([size_run(5, 50), size_run(5, 50)])
    # A busier machine in one run: more ms for /ping/ and the page alike, the same ratio.
    same = bench_cpu.combine_runs([size_run(5, 50), size_run(5.5, 55)])
    rows, misses = bench_cpu.compare_sizes(small, same, queries(9), queries(9))
    assert misses == []
    history = next(row for row in rows if row["key"] == "history")
    assert history["cpu_growth_ratio"] == pytest.approx(0.0)
    assert history["cpu_growth_ms"] == pytest.approx(0.05)
    assert history["queries"] == [9, 9]

    grown = bench_cpu.combine_runs([size_run(5, 60), size_run(5, 60)])
    rows, misses = bench_cpu.compare_sizes(small, grown, queries(9), queries(10))
    assert misses == ["history: CPU +20%", "history: 9 vs 10 queries"]


@pytest.mark.skipif(not bench_cpu.harness.pg_ready(), reason="needs PostgreSQL on 127.0.0.1")
def test_query_counts_and_plans_on_a_bench_database_of_its_own():
    # scripts/bench_queries.py as bench.py and --compare-scale run it: on a real (not a test)
    # database, seeded by the harness. Its name is this run's own, and it is dropped after.
    harness = bench_cpu.harness
    db = f"relief_scale_queries_{os.getpid()}"
    try:
        harness.prepare_database(db, patients=10, practitioners=2, days=28)
        harness.collectstatic()  # production settings serve the collected files, as in bench.py
        done = subprocess.run(
            [sys.executable, Path(bench_cpu.__file__).with_name("bench_queries.py"), "--explain"],
            cwd=harness.ROOT,
            env=harness.app_env(db),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["practitioner_patients"] == 5
        worklist = result["pages"]["worklist"]
        assert worklist["queries"] == len(worklist["sql"]) > 0
        assert worklist["plans"] and all(p["execution_ms"] > 0 for p in worklist["plans"])
        assert any("tracker_patient" in p["sql"] for p in worklist["plans"])
    finally:
        with harness.pg("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
