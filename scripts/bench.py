"""make bench: throughput of the main pages as ratios of a trivial signed-in page.

In one run, on the bench clinic (database relief_bench, made by seed_bench):

1. SQL queries per page, on the big clinic and on a small one (relief_bench_small):
   the counts must not depend on the size of the data.
2. gunicorn (2 workers, debug off, persistent connections with health checks) on
   127.0.0.1, driven by wrk with scripts/wrk/page.lua: requests/s and latency
   percentiles of /ping/ (the ceiling), the worklist of a practitioner with 100
   patients, the detail page of a patient with 730 days of entries, the patient's
   history, and the check-in POST. Each page's throughput is divided by that of
   /ping/ requested by the same kind of user (same middleware, same second factor).
3. The bytes a phone downloads for /log/ and everything it loads, compressed.

Targets: each page >= 0.6 x /ping/; query counts equal on both clinics; /log/ <= 60 KB.
Results: printed, and written to bench-results/bench-<time>.json (and bench-latest.json).

    .venv/bin/python scripts/bench.py [--seconds 10] [--connections 8] [--scale 10]
"""

import argparse
import gzip
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import HOST, say  # noqa: E402

SMALL_DB = "relief_bench_small"
PRACTITIONER = "bench.practitioner00"  # 100 patients
PATIENT = "bench.patient0000"  # one of them: 730 days of entries
# Check-ins go to patients nobody else uses in the bench; removed again afterwards.
CHECKIN_PATIENTS = [f"bench.patient{i:04d}" for i in range(1000, 1008)]

RATIO_TARGET = 0.6
LOG_BYTES_TARGET = 60 * 1024

ASSET_RE = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"')


def query_counts(dbs=(harness.BENCH_DB, SMALL_DB)):
    """Run scripts/bench_queries.py on each database (the big and the small clinic)."""
    results = {}
    for db in dbs:
        done = subprocess.run(
            [harness.VENV_BIN / "python", Path(__file__).with_name("bench_queries.py")],
            cwd=harness.ROOT,
            env=harness.app_env(db),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"bench_queries.py failed on {db}:\n{done.stdout}{done.stderr}")
        results[db] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def page_weight(client, path):
    """Compressed bytes of a page and of every same-site file it links to.

    Static files come compressed from WhiteNoise (collectstatic made .gz files).
    gunicorn sends the HTML itself uncompressed: in production the TLS proxy
    compresses it; here it is gzipped at level 6 (nginx's usual setting) and
    counted at that size.
    """
    accept = {"Accept-Encoding": "gzip, br"}
    page = client.get(path, headers=accept)
    if page.status != 200:
        raise RuntimeError(f"GET {path}: {page.status}")
    encoding = page.headers.get("Content-Encoding")
    html = page.body
    items = [
        {
            "url": path,
            "status": page.status,
            "raw_bytes": len(html) if not encoding else None,
            "bytes": len(html) if encoding else len(gzip.compress(html, 6)),
            "encoding": encoding or "gzip -6 (as a compressing proxy would send it)",
        }
    ]
    urls = dict.fromkeys(u for u in ASSET_RE.findall(page.text) if u.startswith("/"))
    for url in urls:
        response = client.get(url, headers=accept)
        items.append(
            {
                "url": url,
                "status": response.status,
                "bytes": len(response.body),
                "encoding": response.headers.get("Content-Encoding") or "identity",
            }
        )
    return {"path": path, "total_bytes": sum(i["bytes"] for i in items), "items": items}


def users_file(clients, with_csrf_from=None):
    """One line per signed-in client for page.lua: Cookie header, tab, form token."""
    lines = []
    for client in clients:
        token = client.form_token(with_csrf_from) if with_csrf_from else ""
        lines.append(f"{client.cookie_header()}\t{token}")
    return harness.temp_file(lines, "relief-bench-users-")


def measure(server, path, users, mode, seconds, connections, warmup):
    env = {"BENCH_USERS": str(users), "BENCH_MODE": mode, "BENCH_RUN": f"{time.time_ns():x}"[-8:]}
    url = server.base + path
    if warmup:
        harness.run_wrk("page.lua", url, env, 1, connections, warmup)
        server.wait_idle()
    result = harness.run_wrk("page.lua", url, env, 1, connections, seconds)
    # wrk leaves up to one request per connection behind: let them finish before the
    # next page is measured.
    server.wait_idle()
    result["rps"] = result["ok"] / (result["duration_us"] / 1e6)
    return result


def run(args):
    harness.stop_on_sigterm()
    harness.require_wrk()
    harness.ensure_postgres_running()
    db = harness.prepare_scale(args.scale)
    # Four weeks: seed_bench's first session falls on day 14, so the small clinic's
    # patients too have held sessions, and the pages show the same parts on both.
    harness.prepare_database(SMALL_DB, patients=10, practitioners=2, days=28)
    harness.collectstatic()

    say(f"Counting SQL queries per page (Django test client, {db} and the small clinic)...")
    queries = query_counts((db, SMALL_DB))

    patient_url = "/practice/patients/{}/".format(
        harness.sql_one(
            "SELECT public_id FROM tracker_patient p JOIN auth_user u ON u.id = p.user_id "
            "WHERE u.username = %s",
            [PATIENT],
            db=db,
        )
    )
    checkin_ids = [
        row[0]
        for row in harness.sql(
            "SELECT p.id FROM tracker_patient p JOIN auth_user u ON u.id = p.user_id "
            "WHERE u.username = ANY(%s)",
            [CHECKIN_PATIENTS],
            db=db,
        )
    ]
    results, temp_files, clients = {}, [], []
    server = harness.Gunicorn("bench", db=db)
    started = time.time()
    # Check-ins made from here on have larger ids (seeded ones may be dated later today).
    last_id = harness.sql_one("SELECT coalesce(max(id), 0) FROM tracker_symptomentry", db=db)
    try:
        server.start()
        say(f"gunicorn on {server.base} (2 workers); signing in...")
        practitioner = harness.Client(server.port).login(PRACTITIONER, second_factor=True)
        patient = harness.Client(server.port).login(PATIENT)
        checkin_clients = harness.login_many(server.port, CHECKIN_PATIENTS)
        clients = [practitioner, patient, *checkin_clients]
        practitioner_users = users_file([practitioner])
        patient_users = users_file([patient])
        checkin_users = users_file(checkin_clients, with_csrf_from="/log/")
        temp_files = [practitioner_users, patient_users, checkin_users]

        plan = [
            ("ping_practitioner", "/ping/ (practitioner)", "/ping/", practitioner_users, "get"),
            ("worklist", "worklist, 100 patients", "/practice/", practitioner_users, "get"),
            ("patient_detail", "patient detail, 730 days", patient_url, practitioner_users, "get"),
            ("ping_patient", "/ping/ (patient)", "/ping/", patient_users, "get"),
            ("history", "patient's history, 730 days", "/history/", patient_users, "get"),
            ("checkin_post", "check-in POST", "/log/", checkin_users, "checkin"),
        ]
        for key, label, path, users, mode in plan:
            say(f"  wrk {args.seconds}s -c{args.connections}: {label} ...")
            results[key] = {
                "label": label,
                "path": path,
                **measure(server, path, users, mode, args.seconds, args.connections, args.warmup),
            }
        weight = page_weight(patient, "/log/")
    finally:
        for client in clients:
            client.logout()
        server.stop()
        for path in temp_files:
            path.unlink(missing_ok=True)
        if checkin_ids:
            # Only the check-ins this run made (to patients used for nothing else).
            removed = harness.sql(
                "WITH gone AS (DELETE FROM tracker_symptomentry WHERE patient_id = ANY(%s) "
                "AND id > %s RETURNING 1) SELECT count(*) FROM gone",
                [checkin_ids, last_id],
                db=db,
            )[0][0]
            say(f"Removed the {removed:,} check-ins made by the benchmark.")

    return report(args, queries, results, weight, started, db)


def report(args, queries, results, weight, started, db=harness.BENCH_DB):
    ceilings = {"practitioner": results["ping_practitioner"], "patient": results["ping_patient"]}
    role_of = {
        "worklist": "practitioner",
        "patient_detail": "practitioner",
        "history": "patient",
        "checkin_post": "patient",
    }
    big, small = queries[db], queries[SMALL_DB]
    say()
    say(f"== make bench: gunicorn 2 workers, wrk -t1 -c{args.connections} -d{args.seconds}s ==")
    say(
        f"{'page':<30} {'req/s':>7} {'ratio':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'SQL big':>7} {'SQL small':>9}"
    )
    misses = []
    for key, r in results.items():
        role = role_of.get(key)
        ceiling = ceilings[role]["rps"] if role else r["rps"]
        ratio = r["rps"] / ceiling if ceiling else 0.0
        r["ratio"] = round(ratio, 3)
        r["ceiling"] = f"ping_{role}" if role else None
        r["queries_big"] = big["pages"][key]["queries"]
        r["queries_small"] = small["pages"][key]["queries"]
        errors = r["unexpected"] + sum(r["socket_errors"].values())
        lat = r["latency_us"]
        say(
            f"{r['label']:<30} {r['rps']:>7.1f} {ratio:>5.2f}x {lat['p50'] / 1000:>7.1f} "
            f"{lat['p95'] / 1000:>7.1f} {lat['p99'] / 1000:>7.1f} {errors:>6} "
            f"{r['queries_big']:>7} {r['queries_small']:>9}"
        )
        if role and ratio < RATIO_TARGET:
            misses.append(f"{r['label']}: {ratio:.2f}x < {RATIO_TARGET}x")
        if r["queries_big"] != r["queries_small"]:
            misses.append(f"{r['label']}: {r['queries_big']} vs {r['queries_small']} queries")
        if errors:
            misses.append(f"{r['label']}: {errors} errors ({r['unexpected_kinds']})")
    say(
        f"(ratio: the page's req/s / /ping/'s as the same kind of user; SQL big: "
        f"{big['practitioner_patients']} patients, {big['patient_entries']:,} entries; "
        f"SQL small: {small['practitioner_patients']} patients, {small['patient_entries']} "
        "entries)"
    )
    say(
        f"Check-in form GET /log/: {big['pages']['checkin_form']['queries']} queries (big), "
        f"{small['pages']['checkin_form']['queries']} (small)"
    )
    say()
    say(
        f"/log/ and everything it loads, compressed: {weight['total_bytes'] / 1024:.1f} KB "
        f"(target <= {LOG_BYTES_TARGET // 1024} KB)"
    )
    for item in weight["items"]:
        say(f"  {item['bytes']:>7,} B  {item['url']}  [{item['encoding']}]")
    if weight["total_bytes"] > LOG_BYTES_TARGET:
        misses.append(f"/log/ weighs {weight['total_bytes']:,} B > {LOG_BYTES_TARGET:,} B")
    say()
    say("Targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)))
    data = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "machine": {"cpus": harness.os.cpu_count(), "host": HOST},
        "database": db,
        "settings": {
            "gunicorn_workers": 2,
            "wrk": f"-t1 -c{args.connections} -d{args.seconds}s (after {args.warmup}s warm-up)",
        },
        "targets": {"ratio": RATIO_TARGET, "log_bytes": LOG_BYTES_TARGET},
        "pages": results,
        "queries": queries,
        "log_page_weight": weight,
        "misses": misses,
    }
    path = harness.write_json("bench", data)
    say(f"Written to {path.relative_to(harness.ROOT)}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per page (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds per page, not counted")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="the bench clinic this many times larger (10: relief_bench_x10, 20,000 patients)",
    )
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
