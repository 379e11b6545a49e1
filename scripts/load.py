"""make load: nothing lost under load and faults.

On the bench clinic (database relief_bench), with gunicorn set up as for `make bench`
and wrk playing 50 users (scripts/wrk/load.lua; 70% patients checking in and reading
their history, 30% practitioners on the worklist and detail pages; CSRF tokens read
from the forms, cookies kept, as a browser does):

- load:   60 s of that load. Then every check-in that got a success answer (302 to
          /history/) must be in the database, once; no other entry may appear.
- fault:  the same, with PostgreSQL restarted in the middle (pg_ctlcluster restart):
          how long errors last (target <= 5 s), and the same check.
- scale:  two gunicorn instances on two ports sharing PostgreSQL; each user's
          requests alternate between them (sessions and CSRF work on either).
- backup: pg_dump -Fc, pg_restore into a fresh database, then row counts of every
          table and a checksum of the entries table compared.

The check-ins made are removed afterwards (the bench clinic stays as seeded).
Results: printed, and written to bench-results/load-<time>.json.

    .venv/bin/python scripts/load.py [--seconds 60] [--users 50] [--drills load,fault,scale,backup]
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import HOST, percentile, say  # noqa: E402

DRILLS = ("load", "fault", "scale", "backup")
PATIENT_SHARE = 0.7
ERROR_WINDOW_TARGET = 5.0
# After the run's seconds, users stop once their answer is in; wrk runs this much longer.
DRAIN_S = 10
RESTORE_DB = "relief_bench_restore"
EXPECTED = {"form": 200, "post": 302, "double": 302, "history": 200, "worklist": 200, "detail": 200}


def cast(users):
    """Usernames: 70% patients, 30% practitioners (each practitioner is a different one)."""
    patients = round(users * PATIENT_SHARE)
    practitioners = users - patients
    if practitioners > 20:
        sys.exit("The bench clinic has 20 practitioners: use at most 66 users.")
    return (
        [f"{harness.PREFIX}patient{i:04d}" for i in range(patients)],
        [f"{harness.PREFIX}practitioner{i:02d}" for i in range(practitioners)],
    )


def patient_ids(usernames):
    rows = harness.sql(
        "SELECT p.id FROM tracker_patient p JOIN auth_user u ON u.id = p.user_id "
        "WHERE u.username = ANY(%s)",
        [usernames],
    )
    return [r[0] for r in rows]


def practice_lists(practitioners):
    """Each practitioner's patients' public ids, for the detail pages."""
    rows = harness.sql(
        "SELECT u.username, p.public_id::text FROM tracker_patient p "
        "JOIN tracker_practitioner pr ON pr.id = p.practitioner_id "
        "JOIN auth_user u ON u.id = pr.user_id WHERE u.username = ANY(%s)",
        [practitioners],
    )
    lists = defaultdict(list)
    for username, public_id in rows:
        lists[username].append(public_id)
    return lists


def sign_in_all(servers, patients, practitioners):
    """Sign everyone in; user i through server i % n (the scale drill then sends
    half of each user's requests to the other server)."""
    from concurrent.futures import ThreadPoolExecutor

    names = [(name, False) for name in patients] + [(name, True) for name in practitioners]

    def one(i_name):
        i, (name, second_factor) = i_name
        return harness.Client(servers[i % len(servers)].port).login(name, second_factor)

    with ThreadPoolExecutor(max_workers=2 * len(servers)) as pool:
        return list(pool.map(one, enumerate(names)))


def users_file(clients, patients, practitioners, lists):
    lines = []
    for client, name in zip(clients, patients + practitioners, strict=True):
        role = "patient" if name in patients else "practitioner"
        lines.append(f"{role}\t{client.cookie_header()}\t{','.join(lists.get(name, []))}")
    return harness.temp_file(lines, "relief-load-users-")


def restart_postgres():
    """Restart the local cluster; returns (start, end) wall-clock times."""
    started = time.time()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", harness.pg_version(), "main", "restart"],
        check=True,
        timeout=120,
    )
    deadline = time.monotonic() + 60
    while not harness.pg_ready() and time.monotonic() < deadline:
        time.sleep(0.1)
    return started, time.time()


def read_logs(folder):
    """Parse the threads' logs (see scripts/wrk/load.lua)."""
    responses, sent, acked, double_sent, double_acked = [], set(), set(), 0, set()
    for path in sorted(folder.glob("thread-*.log")):
        for line in path.read_text().splitlines():
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "R" and len(parts) == 5:
                responses.append((float(parts[1]), parts[2], int(parts[3]), float(parts[4])))
            elif parts[0] == "S":
                sent.add(parts[1])
            elif parts[0] == "A":
                acked.add(parts[1])
            elif parts[0] == "D":
                double_sent += 1
            elif parts[0] == "DA":
                double_acked.add(parts[1])
    return responses, sent, acked, double_sent, double_acked


def check_database(sent, acked, double_acked, load_patients, last_id):
    """Every acknowledged check-in is in the database exactly once; nothing else appeared."""
    found = dict(
        harness.sql(
            "SELECT public_id::text, count(*) FROM tracker_symptomentry "
            "WHERE public_id = ANY(%s::uuid[]) GROUP BY 1",
            [sorted(sent)],
        )
    )
    others = harness.sql_one(
        "SELECT count(*) FROM tracker_symptomentry WHERE patient_id = ANY(%s) "
        "AND id > %s AND NOT public_id = ANY(%s::uuid[])",
        [load_patients, last_id, sorted(sent)],
    )
    missing = sorted(acked - set(found))
    return {
        "checkins_sent": len(sent),
        "checkins_acknowledged": len(acked),
        "acknowledged_missing": len(missing),
        "missing_examples": missing[:5],
        "saved_more_than_once": sum(1 for n in found.values() if n > 1),
        "double_taps_acknowledged": len(double_acked),
        "double_taps_saved_twice": sum(1 for t in double_acked if found.get(t, 0) > 1),
        "saved_but_not_acknowledged": len(set(found) - acked),
        "unexpected_entries": others,
        "ok": not missing and others == 0 and all(n == 1 for n in found.values()),
    }


def summarise(responses, seconds):
    kinds = defaultdict(list)
    for _, kind, status, ms in responses:
        kinds[kind].append((status, ms))
    per_kind = {}
    for kind, items in sorted(kinds.items()):
        good = [ms for status, ms in items if status == EXPECTED[kind]]
        per_kind[kind] = {
            "requests": len(items),
            "errors": len(items) - len(good),
            "p50_ms": percentile(good, 50),
            "p95_ms": percentile(good, 95),
            "p99_ms": percentile(good, 99),
        }
    good_all = [ms for _, kind, status, ms in responses if status == EXPECTED[kind]]
    errors = [(t, kind, status) for t, kind, status, _ in responses if status != EXPECTED[kind]]
    return {
        "requests": len(responses),
        "requests_per_s": round(len(responses) / seconds, 1),
        "errors": len(errors),
        "error_statuses": dict(Counter(f"{kind} {status}" for _, kind, status in errors)),
        "p50_ms": percentile(good_all, 50),
        "p95_ms": percentile(good_all, 95),
        "p99_ms": percentile(good_all, 99),
        "per_kind": per_kind,
    }, errors


def run_drill(name, servers, args, restart_after=None):
    patients, practitioners = cast(args.users)
    load_patients = patient_ids(patients)
    lists = practice_lists(practitioners)
    folder = harness.RESULTS / f"load-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    say(f"[{name}] signing in {len(patients)} patients and {len(practitioners)} practitioners...")
    clients = sign_in_all(servers, patients, practitioners)
    users = users_file(clients, patients, practitioners, lists)
    checks = {}
    if len(servers) > 1:
        # Every session works on every instance.
        checks["sessions_valid_on_every_instance"] = all(
            probe(client, server.port) == 200 for client in clients for server in servers
        )
    # Entries made from here on have larger ids (seeded ones may be dated later today).
    last_id = harness.sql_one("SELECT coalesce(max(id), 0) FROM tracker_symptomentry")
    started = time.time()
    env = {
        "LOAD_STOP_AT": f"{started + args.seconds:.3f}",
        "LOAD_USERS": str(users),
        "LOAD_OUT": str(folder),
        "LOAD_PORTS": ",".join(str(s.port) for s in servers),
        "LOAD_RUN": f"{time.time_ns():x}"[-8:],
    }
    url = servers[0].base + "/"
    n = len(clients)
    say(f"[{name}] wrk -t{n} -c{n}: {n} users for {args.seconds} s (then answers drain)...")
    wrk = subprocess.Popen(
        [
            harness.require_wrk(),
            f"-t{n}",
            f"-c{n}",
            f"-d{args.seconds + DRAIN_S}s",
            "--timeout=30s",
            "-s",
            str(harness.WRK_SCRIPTS / "load.lua"),
            url,
        ],
        env={**harness.os.environ, **harness.WRK_ENV, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    restart = None
    try:
        if restart_after is not None:
            time.sleep(restart_after)
            say(
                f"[{name}] pg_ctlcluster {harness.pg_version()} main restart "
                "(the whole local cluster: its other users see an outage too)..."
            )
            restart = restart_postgres()
            say(f"[{name}] PostgreSQL back after {restart[1] - restart[0]:.1f} s")
        out, err = wrk.communicate(timeout=args.seconds + 180)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
        harness.ensure_postgres_running()
        users.unlink(missing_ok=True)
    elapsed = time.time() - started
    wrk_totals = next(
        (
            harness.json.loads(line[len("WRK_JSON ") :])
            for line in out.splitlines()
            if line.startswith("WRK_JSON ")
        ),
        None,
    )
    if wrk_totals is None:
        raise RuntimeError(f"wrk failed:\n{out}\n{err}")
    responses, sent, acked, double_sent, double_acked = read_logs(folder)
    duration = max((r[0] for r in responses), default=started) - started
    stats, errors = summarise(responses, duration)
    stats["socket_errors"] = wrk_totals["socket_errors"]
    stats["double_taps_sent"] = double_sent
    result = {"drill": name, "users": n, "seconds": round(duration, 1), **stats, **checks}
    if restart:
        result["restart"] = error_window(errors, restart)
    if len(servers) > 1:
        result["requests_per_instance"] = {
            f"{s.name} :{s.port}": count_access_log(s) for s in servers
        }
    result["database"] = check_database(sent, acked, double_acked, load_patients, last_id)
    for client in clients:
        client.logout()
    say(f"[{name}] done in {elapsed:.0f} s")
    return result


def probe(client, port):
    other = harness.Client(port)
    other.cookies = dict(client.cookies)
    return other.get("/ping/").status


def count_access_log(server):
    try:
        lines = server.access_log.read_text().splitlines()
    except OSError:
        return None
    # The simulated users' requests (sign-ins and checks say "relief-bench").
    return sum(1 for line in lines if '"relief-load"' in line)


def error_window(errors, restart):
    """When errors began and ended, relative to the start of the restart."""
    began, back = restart
    times = sorted(t for t, _, _ in errors)
    window = {
        "restart_began": time.strftime("%H:%M:%S", time.localtime(began)),
        "restart_command_s": round(back - began, 2),
        "errors": len(times),
    }
    if times:
        window.update(
            first_error_after_s=round(times[0] - began, 2),
            last_error_after_s=round(times[-1] - began, 2),
            errors_lasted_s=round(times[-1] - times[0], 2),
            last_error_after_command_s=round(times[-1] - back, 2),
        )
    else:
        window.update(errors_lasted_s=0.0)
    window["target_met"] = window["errors_lasted_s"] <= ERROR_WINDOW_TARGET
    return window


def backup_drill():
    """pg_dump -Fc, restore into a fresh database, compare counts and a checksum."""
    tables = [
        r[0]
        for r in harness.sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    checksum_sql = (
        "SELECT count(*), md5(string_agg(md5(e::text), '' ORDER BY e.id)) "
        "FROM tracker_symptomentry e"
    )
    pg = ["-h", HOST, "-U", "postgres"]
    with tempfile.TemporaryDirectory(prefix="relief-backup-") as folder:
        dump = Path(folder) / "relief_bench.dump"
        t0 = time.monotonic()
        subprocess.run(
            ["pg_dump", *pg, "-Fc", "-d", harness.BENCH_DB, "-f", dump], check=True, timeout=900
        )
        t1 = time.monotonic()
        with harness.pg("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}"')
            conn.execute(f'CREATE DATABASE "{RESTORE_DB}"')
        try:
            subprocess.run(
                ["pg_restore", *pg, "-d", RESTORE_DB, "--no-owner", "-j", "2", dump],
                check=True,
                timeout=1800,
            )
            t2 = time.monotonic()
            counts = {}
            for table in tables:
                query = f'SELECT count(*) FROM "{table}"'
                counts[table] = (
                    harness.sql_one(query),
                    harness.sql_one(query, db=RESTORE_DB),
                )
            original = harness.sql(checksum_sql)[0]
            restored = harness.sql(checksum_sql, db=RESTORE_DB)[0]
        finally:
            with harness.pg("postgres") as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}"')
        size = dump.stat().st_size
    mismatched = {t: c for t, c in counts.items() if c[0] != c[1]}
    return {
        "dump_bytes": size,
        "dump_s": round(t1 - t0, 1),
        "restore_s": round(t2 - t1, 1),
        "tables": len(tables),
        "rows": sum(c[0] for c in counts.values()),
        "entries": original[0],
        "entries_md5_original": original[1],
        "entries_md5_restored": restored[1],
        "tables_with_different_counts": mismatched,
        "ok": not mismatched and original == restored,
    }


def remove_checkins():
    """Remove the load's check-ins (each token starts with a run id; the patients are
    bench patients, so only entries made after seeding can be ours)."""
    folders = list(harness.RESULTS.glob("load-*/"))
    tokens = set()
    for folder in folders:
        _, sent, _, _, _ = read_logs(folder)
        tokens |= sent
    if not tokens:
        return 0
    return harness.sql_one(
        "WITH gone AS (DELETE FROM tracker_symptomentry WHERE public_id = ANY(%s::uuid[]) "
        "RETURNING 1) SELECT count(*) FROM gone",
        [sorted(tokens)],
    )


def print_drill(r):
    say()
    say(f"== {r['drill']}: {r['users']} users, {r['seconds']} s ==")
    say(
        f"requests: {r['requests']:,} ({r['requests_per_s']} req/s); errors: {r['errors']} "
        f"{r['error_statuses'] or ''}; socket errors: {sum(r['socket_errors'].values())}"
    )
    say(
        f"latency of good answers: p50 {fmt(r['p50_ms'])}, p95 {fmt(r['p95_ms'])}, "
        f"p99 {fmt(r['p99_ms'])}"
    )
    say(f"  {'step':<10} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for kind, k in r["per_kind"].items():
        say(
            f"  {kind:<10} {k['requests']:>8} {k['errors']:>6} {fmt(k['p50_ms'], ''):>7} "
            f"{fmt(k['p95_ms'], ''):>7} {fmt(k['p99_ms'], ''):>7}"
        )
    if "restart" in r:
        w = r["restart"]
        say(
            f"PostgreSQL restart at {w['restart_began']} (the command took "
            f"{w['restart_command_s']} s); "
            + (
                f"errors from +{w['first_error_after_s']} s to +{w['last_error_after_s']} s: "
                f"lasted {w['errors_lasted_s']} s (target <= {ERROR_WINDOW_TARGET:.0f} s: "
                f"{'met' if w['target_met'] else 'MISSED'})"
                if w["errors"]
                else "no errors at all"
            )
        )
    if "requests_per_instance" in r:
        say(
            f"requests per instance (gunicorn access logs): {r['requests_per_instance']}; "
            f"every session valid on every instance: {r['sessions_valid_on_every_instance']}"
        )
    d = r["database"]
    say(
        f"check-ins: {d['checkins_acknowledged']:,} acknowledged, "
        f"{d['acknowledged_missing']} missing from the database, "
        f"{d['saved_more_than_once']} saved twice; double taps: {r['double_taps_sent']} sent, "
        f"{d['double_taps_acknowledged']} answered 'already saved', "
        f"{d['double_taps_saved_twice']} saved twice; saved but not acknowledged: "
        f"{d['saved_but_not_acknowledged']}; other new entries: {d['unexpected_entries']} "
        f"=> {'OK' if d['ok'] else 'FAILED'}"
    )


def fmt(value, unit=" ms"):
    return "-" if value is None else f"{value:.0f}{unit}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="per drill (default 60)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--restart-after", type=int, default=None, help="seconds (default: half)")
    parser.add_argument("--drills", default=",".join(DRILLS), help="comma-separated subset")
    args = parser.parse_args()
    drills = [d for d in args.drills.split(",") if d]
    if unknown := set(drills) - set(DRILLS):
        sys.exit(f"unknown drills: {', '.join(sorted(unknown))}")

    harness.stop_on_sigterm()
    harness.require_wrk()
    harness.ensure_postgres_running()
    harness.prepare_database()
    harness.collectstatic()
    results, servers = {}, []
    started = time.time()
    try:
        for drill in drills:
            if drill == "backup":
                say("[backup] pg_dump -Fc, pg_restore into a new database, compare...")
                results["backup"] = backup_drill()
                continue
            count = 2 if drill == "scale" else 1
            servers = [
                harness.Gunicorn(f"{drill}-{i + 1}", access_log=drill == "scale")
                for i in range(count)
            ]
            for server in servers:
                server.start()
            say(f"[{drill}] gunicorn: " + ", ".join(s.base for s in servers) + " (2 workers each)")
            restart = None
            if drill == "fault":
                restart = args.restart_after or args.seconds // 2
            try:
                results[drill] = run_drill(drill, servers, args, restart_after=restart)
            finally:
                for server in servers:
                    server.stop()
    finally:
        for server in servers:
            server.stop()
        harness.ensure_postgres_running()
        removed = remove_checkins()
        say(f"Removed the {removed:,} check-ins made by the load.")

    for drill in drills:
        if drill in results and drill != "backup":
            print_drill(results[drill])
    failures = []
    for name, r in results.items():
        if name == "backup":
            continue
        if not r["database"]["ok"]:
            failures.append(f"{name}: acknowledged check-ins lost or doubled")
        if name != "fault" and r["errors"]:
            failures.append(f"{name}: {r['errors']} errors")
        if name == "fault" and not r["restart"]["target_met"]:
            failures.append(f"fault: errors lasted {r['restart']['errors_lasted_s']} s")
    if "backup" in results:
        b = results["backup"]
        say()
        say("== backup: pg_dump -Fc, restore into a fresh database ==")
        say(
            f"dump {b['dump_bytes'] / 1e6:.1f} MB in {b['dump_s']} s, restore {b['restore_s']} s; "
            f"{b['tables']} tables, {b['rows']:,} rows: counts "
            f"{'all equal' if not b['tables_with_different_counts'] else 'DIFFER'}; entries "
            f"{b['entries']:,}, md5 {b['entries_md5_original']} vs {b['entries_md5_restored']} "
            f"=> {'OK' if b['ok'] else 'FAILED'}"
        )
        if not b["ok"]:
            failures.append("backup: restored copy differs")
    say()
    say("Result: " + ("all checks passed" if not failures else "FAILED: " + "; ".join(failures)))
    data = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "machine": {"cpus": harness.os.cpu_count()},
        "drills": results,
        "failures": failures,
    }
    path = harness.write_json("load", data)
    say(f"Written to {path.relative_to(harness.ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
