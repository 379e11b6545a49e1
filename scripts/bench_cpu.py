"""make bench-cpu: CPU time per request of the benchmarked pages, app and database.

wrk's requests/s on this shared 2-core machine move by a factor of 4 between runs. CPU time
spent on a request does not depend on who else is using the machine nearly as much, so this
measures that instead, in one process:

- the app's CPU: time.process_time() around Django test-client requests made here, with the
  settings gunicorn has in `make bench` (debug off, persistent connection with health checks,
  the bench clinic relief_bench on PostgreSQL);
- the database's CPU: the time on CPU of this connection's PostgreSQL backend
  (/proc/<pg_backend_pid()>/schedstat, first field, in ns), read before and after each
  request. On SQLite there is no backend: its work is done in this process, counted as app.

The pages are those of scripts/bench.py. They are interleaved: each round measures, for each
page in turn, N requests of the page and N of the same user's /ping/, alternating one by one
(ping, page, ping, page, ...; --interleave batches: N pings, then N of the page), so that
whatever else the machine is doing affects a page and its /ping/ alike. A page's ratio is
that round's /ping/ CPU per request divided by the page's (higher is better: the share of
/ping/'s throughput the page would have on CPU alone). Reported per page: medians over the
rounds, and the spread (min-max) of the rounds. One round first is not counted (first
requests fill caches). Check-ins go to patients nobody else uses in the bench
(bench.CHECKIN_PATIENTS) and are removed again afterwards.

Results: printed, and written to bench-results/cpu-<time>.json (and cpu-latest.json).

--callgrind PAGE counts instead the instructions per request of PAGE and of its /ping/ under
valgrind (app process only), which repeat exactly; slow (minutes for a few requests).

--scale N measures on the bench clinic N times larger (relief_bench_xN: N x 20 practitioners
with 100 patients each; seeded on first use, minutes at 10). --compare-scale N measures the
normal clinic and the larger one in turn, each in a process of its own (1, N, N, 1, ... so
that a machine getting busier or quieter weighs on both alike), counts the SQL queries per
page on both (scripts/bench_queries.py), and prints each page's CPU at both sizes side by
side: issue 21 asks for per-page CPU within 15% and equal query counts.

    .venv/bin/python scripts/bench_cpu.py [--rounds 5] [--requests 20] [--interleave batches]
    .venv/bin/python scripts/bench_cpu.py --callgrind worklist --requests 3
    .venv/bin/python scripts/bench_cpu.py --scale 10
    .venv/bin/python scripts/bench_cpu.py --compare-scale 10 --repeat 2
"""

import argparse
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402
import harness  # noqa: E402
from harness import HOST, say  # noqa: E402

# Issue 21's targets: CPU per request as a ratio of the same user's /ping/.
TARGETS = {"worklist": 0.30, "patient_detail": 0.18, "history": 0.15, "checkin_post": 0.30}
# Issue 21: a page's CPU per request on a clinic ten times larger within 15% of today's.
SCALE_TOLERANCE = 0.15


class SignedOut(Exception):
    """A bench user's session ended under us: another run signing that user out ends all
    of their sessions (tracker/security.py), and the bench clinic is shared."""


@dataclass
class Page:
    """One benchmarked request: send() makes it and returns the response."""

    key: str
    label: str
    send: object
    expect: tuple
    ping: str | None = None  # the key of the same user's /ping/; None for a /ping/ itself
    batches: list = field(default_factory=list)


# Measuring


def backend_pid():
    """The PID of this connection's PostgreSQL backend; None on SQLite (no backend)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_cpu_ns(pid):
    """Nanoseconds the backend has spent on CPU (the first field of its schedstat)."""
    if pid is None:
        return 0
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0])


def start_request():
    """What Django's WSGI handler does as a request starts, and the test client leaves out:
    with persistent connections and health checks, each request's first query is preceded
    by a check that the connection still works. (Not inside a test's transaction.)"""
    from django.db import close_old_connections, connection

    if not connection.in_atomic_block:
        close_old_connections()


def timed_request(page, pid):
    """One request of page: (app seconds, database ns) on CPU."""
    db_before = backend_cpu_ns(pid)
    app_before = time.process_time()
    start_request()
    response = page.send()
    app_after = time.process_time()
    db_after = backend_cpu_ns(pid)
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        raise SignedOut(page.label)
    if response.status_code not in page.expect:
        raise RuntimeError(f"{page.label}: {response.status_code}, expected {page.expect}")
    return app_after - app_before, db_after - db_before


def run_batches(ping, page, requests, interleave="requests"):
    """`requests` requests of ping and of page; CPU per request of each, app and db, in ms.

    interleave="requests" alternates them one by one (ping, page, ping, page, ...), so that
    both see the same moments of a busy machine; "batches" runs all the pings, then the page.
    """
    order = [ping, page] * requests
    if interleave == "batches":
        order = [ping] * requests + [page] * requests
    pid = backend_pid()
    spent = {ping.key: [0.0, 0], page.key: [0.0, 0]}
    for one in order:
        app_s, db_ns = timed_request(one, pid)
        spent[one.key][0] += app_s
        spent[one.key][1] += db_ns
    if backend_pid() != pid:
        raise RuntimeError("the database connection changed during a batch: measure again")
    batches = []
    for key in (ping.key, page.key):
        app_ms = spent[key][0] * 1000 / requests
        db_ms = spent[key][1] / 1e6 / requests
        batches.append({"app_ms": app_ms, "db_ms": db_ms, "total_ms": app_ms + db_ms})
    return batches


def measure(pages, rounds, requests, warmup_rounds=1, interleave="requests", sign_in=None):
    """Interleaved rounds over pages; returns each page's figures by key (see summarise).

    Each round measures, for each page in turn, the page together with its user's /ping/.
    If the users were signed out meanwhile, sign_in() signs them in again and the batch
    is measured again.
    """
    by_key = {page.key: page for page in pages}
    measured = [page for page in pages if page.ping]
    for round_no in range(warmup_rounds + rounds):
        for page in measured:
            ping = by_key[page.ping]
            for attempt in range(3):
                try:
                    ping_batch, page_batch = run_batches(ping, page, requests, interleave)
                    break
                except SignedOut as signed_out:
                    if sign_in is None or attempt == 2:
                        raise
                    say(f"  signed out during {signed_out} (by another run?): again")
                    sign_in()
            if round_no < warmup_rounds:
                continue
            ping.batches.append(ping_batch)
            page_batch["ping_total_ms"] = ping_batch["total_ms"]
            page_batch["ratio"] = ping_batch["total_ms"] / page_batch["total_ms"]
            page.batches.append(page_batch)
    return {page.key: summarise(page) for page in pages}


def summarise(page):
    """Medians over the batches, and the spread (min, max) of total CPU and of the ratio."""
    totals = [b["total_ms"] for b in page.batches]
    result = {
        "label": page.label,
        "ping": page.ping,
        "batches": len(page.batches),
        "app_ms": statistics.median(b["app_ms"] for b in page.batches),
        "db_ms": statistics.median(b["db_ms"] for b in page.batches),
        "total_ms": statistics.median(totals),
        "total_ms_spread": [min(totals), max(totals)],
        "ratio": 1.0,
        "ratio_spread": [1.0, 1.0],
        "per_batch": page.batches,
    }
    if page.ping:
        ratios = [b["ratio"] for b in page.batches]
        result["ratio"] = statistics.median(ratios)
        result["ratio_spread"] = [min(ratios), max(ratios)]
    return result


# The pages


def sign_in(client, username, second_factor=False):
    """Sign client in as username; for practitioners, past the second step too."""
    from django.contrib.auth.models import User
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.get(username=username)
    client.force_login(user)
    if second_factor:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
    return client


def signed_in(username, second_factor=False):
    from django.test import Client

    # CSRF checked as in production (the test client skips it unless asked).
    return sign_in(Client(enforce_csrf_checks=True, SERVER_NAME=HOST), username, second_factor)


def end_own_session(client):
    """End this client's session only. (Signing out ends every session of the user, and
    the bench users are shared with whatever else runs on the bench clinic.)"""
    from tracker.models import UserSession

    session = client.session
    if session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()
        session.delete()


def checkin_sender(clients):
    """A check-in POST from each client in turn, with new scores, note and token each time."""
    from tracker.symptoms import NAMES

    scores = random.Random(21)  # the same sequence of scores in every run
    forms = [(c, harness.csrf_from(c.get("/log/").content.decode())) for c in clients]
    turn = itertools.count()

    def send():
        client, csrf = forms[next(turn) % len(forms)]
        # The token as the note too: the same answers again within minutes are asked
        # about (a 200) instead of saved.
        token = str(uuid.uuid4())
        data = {name: scores.randint(0, 10) for name in NAMES}
        data.update(when="now", note=token, token=token, csrfmiddlewaretoken=csrf)
        return client.post("/log/", data)

    return send


def bench_pages(practitioner, patient, checkin_patients, keys=None):
    """The pages of scripts/bench.py, with signed-in clients; keys picks some of them."""
    from tracker.models import Patient

    doctor = signed_in(practitioner, second_factor=True)
    person = signed_in(patient)
    detail_url = Patient.objects.get(user__username=patient).get_absolute_url()
    clients = [doctor, person]
    users = [(doctor, practitioner, True), (person, patient, False)]
    pages = [
        Page("ping_practitioner", "/ping/ (practitioner)", lambda: doctor.get("/ping/"), (200,)),
        Page(
            "worklist",
            "worklist, 100 patients",
            lambda: doctor.get("/practice/"),
            (200,),
            "ping_practitioner",
        ),
        Page(
            "patient_detail",
            "patient detail, 730 days",
            lambda: doctor.get(detail_url),
            (200,),
            "ping_practitioner",
        ),
        Page("ping_patient", "/ping/ (patient)", lambda: person.get("/ping/"), (200,)),
        Page(
            "history",
            "patient's history, 730 days",
            lambda: person.get("/history/"),
            (200,),
            "ping_patient",
        ),
    ]
    if keys is None or "checkin_post" in keys:
        checkin_users = [(signed_in(name), name, False) for name in checkin_patients]
        checkin_clients = [client for client, _, _ in checkin_users]
        clients += checkin_clients
        users += checkin_users
        send = checkin_sender(checkin_clients)
        pages.append(Page("checkin_post", "check-in POST", send, (302,), "ping_patient"))
    if keys is not None:
        pages = [page for page in pages if page.key in keys]

    def sign_in_again():
        for client, username, second_factor in users:
            sign_in(client, username, second_factor)

    return pages, clients, sign_in_again


@contextmanager
def signed_in_pages(practitioner, patient, checkin_patients, keys=None):
    """bench_pages(); afterwards their sessions ended and the check-ins made removed."""
    from django.db.models import Max

    from tracker.models import SymptomEntry

    # Check-ins made from here on have larger ids (seeded ones may be dated later today).
    last_id = SymptomEntry.objects.aggregate(last=Max("id"))["last"] or 0
    clients = []
    try:
        pages, clients, sign_in_again = bench_pages(practitioner, patient, checkin_patients, keys)
        yield pages, sign_in_again
    finally:
        for client in clients:
            end_own_session(client)
        removed, _ = SymptomEntry.objects.filter(
            patient__user__username__in=checkin_patients, id__gt=last_id
        ).delete()
        if removed:
            say(f"Removed the {removed:,} rows the check-ins made.")


def measure_pages(
    practitioner, patient, checkin_patients, rounds, requests, keys=None, interleave="requests"
):
    """Sign in, measure, sign out, and remove the check-ins made; returns measure()'s result."""
    with signed_in_pages(practitioner, patient, checkin_patients, keys) as (pages, sign_in_again):
        return measure(pages, rounds, requests, interleave=interleave, sign_in=sign_in_again)


# Instruction counts (--callgrind): they repeat exactly, where CPU time never quite does.

CALLGRIND_C = """
#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void zero(void) { CALLGRIND_ZERO_STATS; }
void dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""


def count_instructions(key, requests):
    """Under callgrind (started with --instr-atstart=no): after two warm-up requests each,
    `requests` requests of the same user's /ping/, a dump, the same of the page, a dump."""
    import ctypes
    import tempfile

    with tempfile.TemporaryDirectory(prefix="relief-callgrind-") as folder:
        source, lib = Path(folder, "toggle.c"), Path(folder, "toggle.so")
        source.write_text(CALLGRIND_C)
        subprocess.run(["cc", "-shared", "-fPIC", "-o", lib, source], check=True)
        toggle = ctypes.CDLL(str(lib))
    with signed_in_pages(bench.PRACTITIONER, bench.PATIENT, bench.CHECKIN_PATIENTS) as (
        pages,
        sign_in_again,
    ):
        page = next(p for p in pages if p.key == key)
        ping = next(p for p in pages if p.key == page.ping)
        for one in (ping, page, ping, page):
            timed_request(one, None)
        toggle.start()
        for one, name in ((ping, b"ping"), (page, b"page")):
            for _ in range(3):
                try:
                    for _ in range(requests):
                        timed_request(one, None)
                    break
                except SignedOut:
                    sign_in_again()
                    timed_request(one, None)
                    toggle.zero()
            toggle.dump(name)


def callgrind(args):
    """Run count_instructions in a child process under callgrind; print instructions/request."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = harness.RESULTS / f"callgrind-{args.callgrind}-{stamp}.out"
    harness.RESULTS.mkdir(exist_ok=True)
    say(f"callgrind: {args.requests} requests of {args.callgrind} and of its /ping/ (slow)...")
    env = {**harness.app_env(harness.bench_database(args.scale)), "PYTHONHASHSEED": "0"}
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            f"--log-file={out}.log",
            harness.VENV_BIN / "python",
            __file__,
            "--count-instructions",
            args.callgrind,
            "--requests",
            str(args.requests),
            "--scale",
            str(args.scale),
        ],
        cwd=harness.ROOT,
        env=env,
        check=True,
    )
    counts = {}
    for dump in harness.RESULTS.glob(out.name + ".*[0-9]"):
        text = dump.read_text()
        trigger = re.search(r"^desc: Trigger: Client Request: (\w+)", text, re.M)
        summary = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger and summary:
            counts[trigger.group(1)] = int(summary.group(1)) / args.requests
    say(
        f"Instructions per request (app process only; callgrind does not see the PostgreSQL "
        f"backend): /ping/ {counts['ping']:,.0f}, {args.callgrind} {counts['page']:,.0f}, "
        f"ratio {counts['ping'] / counts['page']:.3f}x  (dumps: {out.name}*)"
    )
    return 0


# The report


def database_note():
    from django.db import connection

    if connection.vendor == "postgresql":
        return "PostgreSQL backend's time on CPU (/proc/<pid>/schedstat)"
    return f"{connection.vendor}: no backend process, db CPU counted as 0 (it is in app CPU)"


def clinic_size():
    """What the measured clinic holds: the practitioner's list and the patient's entries."""
    from tracker.models import Patient, Practitioner, SymptomEntry

    return {
        "practitioners": Practitioner.objects.count(),
        "patients": Patient.objects.count(),
        "entries": SymptomEntry.objects.count(),
        "practitioner_patients": Patient.objects.filter(
            practitioner__user__username=bench.PRACTITIONER
        ).count(),
        "patient_entries": SymptomEntry.objects.filter(
            patient__user__username=bench.PATIENT
        ).count(),
    }


def report(results, args, started):
    from django.db import connection

    size = clinic_size()
    say()
    say(
        f"== CPU per request: {args.rounds} rounds x {args.requests} requests, "
        f"interleaved by {args.interleave}; {connection.settings_dict['NAME']}: "
        f"{size['patients']:,} patients, {size['entries']:,} entries =="
    )
    say(
        f"{'page':<30} {'app ms':>7} {'db ms':>7} {'total ms':>8} {'spread':>13} "
        f"{'ratio':>6} {'spread':>11} {'target':>7}"
    )
    misses = []
    for key, r in results.items():
        target = TARGETS.get(key)
        low, high = r["total_ms_spread"]
        ratio_low, ratio_high = r["ratio_spread"]
        mark = ""
        if target:
            mark = f"{target:.2f}" + (" ok" if r["ratio"] >= target else " NO")
            if r["ratio"] < target:
                misses.append(f"{r['label']}: {r['ratio']:.3f}x < {target}x")
        say(
            f"{r['label']:<30} {r['app_ms']:>7.2f} {r['db_ms']:>7.2f} {r['total_ms']:>8.2f} "
            f"{low:>6.2f}-{high:<6.2f} {r['ratio']:>5.3f}x {ratio_low:>5.3f}-{ratio_high:<5.3f} "
            f"{mark:>7}"
        )
    say(
        "(medians of the rounds; ratio: the same user's /ping/ CPU per request / the page's, "
        "in the same round; db: " + database_note() + ")"
    )
    say("Targets: " + ("all met" if not misses else "NOT MET: " + "; ".join(misses)))
    data = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "machine": {"cpus": os.cpu_count(), "host": HOST},
        "database": {"vendor": connection.vendor, "name": connection.settings_dict["NAME"]},
        "clinic": {"scale": args.scale, **size},
        "load_average": os.getloadavg(),
        "settings": {
            "rounds": args.rounds,
            "requests": args.requests,
            "interleave": args.interleave,
            "warmup_rounds": 1,
        },
        "db_cpu": database_note(),
        "targets": TARGETS,
        "pages": results,
        "misses": misses,
    }
    path = harness.write_json("cpu", data)
    say(f"Written to {path.relative_to(harness.ROOT)}")
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2, default=str) + "\n")


def setup_django(db):
    """Django as gunicorn runs it in make bench: production settings on the bench database,
    loaded through clinic/wsgi.py as gunicorn loads it (which also freezes what is loaded
    out of the garbage collector's way)."""
    env = harness.app_env(db)
    os.environ.clear()
    os.environ.update(env, DJANGO_SETTINGS_MODULE="clinic.settings")
    import clinic.wsgi  # noqa: F401


# Two sizes of clinic (--compare-scale)


def scale_order(scale, repeat):
    """The runs of --compare-scale: 1, N, N, 1, 1, N, ... (each size as often early as late)."""
    order = []
    for i in range(repeat):
        order += [1, scale] if i % 2 == 0 else [scale, 1]
    return order


def combine_runs(runs):
    """One size's runs of a page combined: the mean of the runs' medians, and each run's."""
    pages = {}
    for key in runs[0]["pages"]:
        each = [run["pages"][key] for run in runs]
        pages[key] = {
            "label": each[0]["label"],
            "ping": each[0]["ping"],
            **{
                name: statistics.mean(r[name] for r in each)
                for name in ("app_ms", "db_ms", "total_ms", "ratio")
            },
            "runs_total_ms": [r["total_ms"] for r in each],
            "runs_ratio": [r["ratio"] for r in each],
        }
    return pages


def compare_sizes(small, large, small_queries, large_queries):
    """Per page: CPU at both sizes and the change; query counts at both. Returns the rows
    and the misses (a page whose CPU grew by more than SCALE_TOLERANCE, or whose query count
    differs). CPU is compared both in milliseconds and as the ratio to the same run's /ping/
    (the ratio takes out how busy the machine was; /ping/ itself is compared in ms)."""
    rows, misses = [], []
    for key, a in small.items():
        b = large[key]
        grew_ms = b["total_ms"] / a["total_ms"] - 1
        # A lower ratio is more CPU: growth is the inverse of the ratio's change.
        grew_ratio = a["ratio"] / b["ratio"] - 1 if a["ping"] else None
        q_small = small_queries["pages"][key]["queries"]
        q_large = large_queries["pages"][key]["queries"]
        rows.append(
            {
                "key": key,
                "label": a["label"],
                "small": a,
                "large": b,
                "cpu_growth_ms": grew_ms,
                "cpu_growth_ratio": grew_ratio,
                "queries": [q_small, q_large],
            }
        )
        growth = grew_ratio if grew_ratio is not None else grew_ms
        if growth > SCALE_TOLERANCE:
            misses.append(f"{a['label']}: CPU +{growth:.0%}")
        if q_small != q_large:
            misses.append(f"{a['label']}: {q_small} vs {q_large} queries")
    return rows, misses


def compare_scales(args):
    """--compare-scale N: run this script on both sizes in turn, count queries, compare."""
    large = args.compare_scale
    dbs = {1: harness.prepare_scale(1), large: harness.prepare_scale(large)}
    harness.collectstatic()
    started = time.time()
    runs = {size: [] for size in dbs}
    folder = harness.RESULTS / f"scale-{time.strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True, exist_ok=True)
    for n, size in enumerate(scale_order(args.compare_scale, args.repeat)):
        out = folder / f"run{n + 1}-x{size}.json"
        say(f"-- run {n + 1}: {dbs[size]} (load average {os.getloadavg()[0]:.1f})")
        subprocess.run(
            [
                harness.VENV_BIN / "python",
                __file__,
                f"--scale={size}",
                f"--rounds={args.rounds}",
                f"--requests={args.requests}",
                f"--interleave={args.interleave}",
                f"--json={out}",
            ],
            cwd=harness.ROOT,
            check=True,
        )
        runs[size].append(json.loads(out.read_text()))
    say("Counting SQL queries per page on both (scripts/bench_queries.py)...")
    queries = bench.query_counts(tuple(dbs.values()))
    small, large = (combine_runs(runs[size]) for size in dbs)
    rows, misses = compare_sizes(small, large, *(queries[db] for db in dbs.values()))
    sizes = {size: runs[size][0]["clinic"] for size in dbs}
    say()
    say(
        f"== CPU per request, {dbs[1]} ({sizes[1]['patients']:,} patients, "
        f"{sizes[1]['entries']:,} entries) vs {dbs[args.compare_scale]} "
        f"({sizes[args.compare_scale]['patients']:,} patients, "
        f"{sizes[args.compare_scale]['entries']:,} entries); means of {args.repeat} runs =="
    )
    say(
        f"{'page':<30} {'app ms':>13} {'db ms':>11} {'total ms':>13} {'ratio':>13} "
        f"{'CPU +ms':>7} {'+ratio':>7} {'queries':>7}"
    )
    for row in rows:
        a, b = row["small"], row["large"]
        by_ratio = row["cpu_growth_ratio"]
        say(
            f"{row['label']:<30} {a['app_ms']:>6.1f}/{b['app_ms']:<6.1f} "
            f"{a['db_ms']:>5.1f}/{b['db_ms']:<5.1f} {a['total_ms']:>6.1f}/{b['total_ms']:<6.1f} "
            f"{a['ratio']:>6.3f}/{b['ratio']:<6.3f} {row['cpu_growth_ms']:>+7.0%} "
            f"{'' if by_ratio is None else format(by_ratio, '+.0%'):>7} "
            f"{row['queries'][0]:>3}/{row['queries'][1]:<3}"
        )
    say(
        "(small/large; CPU +ms: the page's total ms at the large size over the small; "
        "+ratio: the same from the ratios to the same run's /ping/, which takes out the "
        f"machine's load; tolerance +{SCALE_TOLERANCE:.0%})"
    )
    verdict = "yes" if not misses else "NO: " + "; ".join(misses)
    say(f"Cost does not grow with the clinic: {verdict}")
    data = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "databases": dbs,
        "clinics": sizes,
        "order": scale_order(args.compare_scale, args.repeat),
        "settings": {"rounds": args.rounds, "requests": args.requests, "repeat": args.repeat},
        "load_average_end": os.getloadavg(),
        "pages": rows,
        "queries": queries,
        "misses": misses,
        "runs": str(folder.relative_to(harness.ROOT)),
    }
    path = harness.write_json("scale", data)
    say(f"Written to {path.relative_to(harness.ROOT)} (each run in {data['runs']}/)")
    return 0


def run(args):
    harness.stop_on_sigterm()
    harness.ensure_postgres_running()
    if args.compare_scale:
        return compare_scales(args)
    db = harness.prepare_scale(args.scale)
    harness.collectstatic()
    if args.callgrind:
        return callgrind(args)
    setup_django(db)
    started = time.time()
    say(f"CPU per request, {args.rounds} rounds x {args.requests} requests per page...")
    results = measure_pages(
        bench.PRACTITIONER,
        bench.PATIENT,
        bench.CHECKIN_PATIENTS,
        args.rounds,
        args.requests,
        interleave=args.interleave,
    )
    report(results, args, started)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds counted (default 5)")
    parser.add_argument("--requests", type=int, default=20, help="per batch (default 20)")
    parser.add_argument(
        "--interleave",
        choices=["requests", "batches"],
        default="requests",
        help="a page's requests alternate with its /ping/'s one by one (default), or in batches",
    )
    parser.add_argument(
        "--callgrind",
        metavar="PAGE",
        choices=sorted(TARGETS),
        help="instead: instructions per request of PAGE and its /ping/ under valgrind",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="the bench clinic this many times larger (10: relief_bench_x10, 20,000 patients)",
    )
    parser.add_argument(
        "--compare-scale",
        type=int,
        metavar="N",
        help="measure the bench clinic and the one N times larger in turn, and compare",
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per size with --compare-scale (default 2)"
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--count-instructions", metavar="PAGE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_instructions:  # the child process that callgrind runs
        setup_django(harness.bench_database(args.scale))
        count_instructions(args.count_instructions, args.requests)
        sys.exit(0)
    sys.exit(run(args))


if __name__ == "__main__":
    main()
