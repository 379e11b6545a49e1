"""The benchmark and load harness (scripts/, wrk), for a few seconds against the live server.

`make bench` and `make load` take minutes and a database of their own; this runs their
sign-in code and wrk scripts on a tiny bench clinic, so that a renamed URL or form field
fails here rather than in the next benchmark. Skipped where wrk is not installed.
"""

import os
import shutil
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from tracker.models import Patient, SymptomEntry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import harness  # noqa: E402
import load  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


@pytest.fixture
def port(transactional_db, live_server):
    call_command("seed_bench", patients=4, practitioners=2, days=30, stdout=StringIO())
    return urlparse(live_server.url).port


def run_load(port, clients, names, folder, seconds):
    """One simulated user at a time: SQLite behind the live server takes one writer."""
    lists = {
        name: [str(p.public_id) for p in Patient.objects.filter(practitioner__user__username=name)]
        for name in names
    }
    patients = [n for n in names if "patient" in n]
    practitioners = [n for n in names if "practitioner" in n]
    users = load.users_file(clients, patients, practitioners, lists)
    env = {
        **os.environ,
        **harness.WRK_ENV,
        "LOAD_USERS": str(users),
        "LOAD_OUT": str(folder),
        "LOAD_RUN": "0badcafe",
        "LOAD_PORTS": str(port),
        # Users stop with their answer in: nothing is left running when the test ends.
        "LOAD_STOP_AT": str(time.time() + seconds),
    }
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                "-c1",
                f"-d{seconds + 2}s",
                "-s",
                harness.WRK_SCRIPTS / "load.lua",
                url(port),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        users.unlink()
    return load.read_logs(folder)


@pytest.mark.parametrize("script", ["bench.py", "load.py"])
def test_the_scripts_start_without_django_settings(script):
    # make bench and make load run them as plain scripts: nothing they import may need settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    done = subprocess.run(
        [sys.executable, Path(harness.__file__).with_name(script), "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def url(port):
    return f"http://127.0.0.1:{port}/"


def test_a_patient_checks_in_and_every_acknowledged_entry_is_saved(port, tmp_path):
    patient = harness.Client(port).login("bench.patient0000")
    responses, sent, acked, _, _ = run_load(port, [patient], ["bench.patient0000"], tmp_path, 2)
    steps = {kind for _, kind, _, _ in responses}
    assert {"form", "post", "history"} <= steps
    assert all(status == load.EXPECTED[kind] for _, kind, status, _ in responses)
    assert acked and acked <= sent
    assert SymptomEntry.objects.filter(public_id__in=acked).count() == len(acked)


def test_a_practitioner_passes_the_second_step_and_browses(port, tmp_path):
    practitioner = harness.Client(port).login("bench.practitioner00", second_factor=True)
    responses, *_ = run_load(port, [practitioner], ["bench.practitioner00"], tmp_path, 1)
    assert {kind for _, kind, _, _ in responses} == {"worklist", "detail"}
    assert all(status == 200 for _, _, status, _ in responses)


def test_the_page_script_measures_a_signed_in_page(port, tmp_path):
    patient = harness.Client(port).login("bench.patient0001")
    users = tmp_path / "users.txt"
    users.write_text(f"{patient.cookie_header()}\t{patient.form_token('/log/')}\n")
    for path, mode in (("ping/", "get"), ("log/", "checkin")):
        # The thread stops with its answer in: nothing is left running when the test ends.
        env = {"BENCH_USERS": str(users), "BENCH_MODE": mode, "BENCH_STOP_AT": str(time.time() + 1)}
        result = harness.run_wrk("page.lua", url(port) + path, env, 1, 1, 2)
        assert result["ok"] > 0 and result["unexpected"] == 0


def test_percentiles_use_the_nearest_rank():
    assert harness.percentile([], 50) is None
    assert harness.percentile([5, 1, 3, 2, 4], 50) == 3
    assert harness.percentile(list(range(1, 101)), 95) == 95
    assert harness.percentile(list(range(1, 101)), 99) == 99
