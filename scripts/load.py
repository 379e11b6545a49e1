"""make load: nothing lost under load and faults.

On the bench clinic (database relief_bench), with gunicorn set up as for `make bench`
and wrk playing 50 users (scripts/wrk/load.lua; 70% patients checking in and reading
their history, 30% practitioners on the worklist and detail pages; CSRF tokens read
from the forms, cookies kept, as a browser does):

- load:   60 s of that load. Then every check-in that got a success answer (302 to
          /history/) must be in the database, once; no other entry may appear.
- fault:  the same, with PostgreSQL restarted in the middle (pg_ctlcluster restart):
          how long errors last (target <= 5 s), no HTTP 500 at all (a GET is tried once
          more, a POST answered 503 and not acknowledged: tracker/outages.py), and the
          same check.
- deploy: the same, with the app reloaded in the middle as a deploy does (SIGHUP to
          gunicorn: new workers, the old ones finish their requests): no error at all,
          and the same check.
- scale:  two gunicorn instances on two ports sharing PostgreSQL; each user's
          requests alternate between them (sessions and CSRF work on either).
- backup: pg_dump -Fc, pg_restore into a fresh database, then row counts of every
          table and a checksum of the entries table compared.
- pgbouncer (only with --pgbouncer or --drills pgbouncer; `apt-get install -y pgbouncer`):
          the scale drill's two instances (4 workers) with PgBouncer between them and
          PostgreSQL: started here with a generated ini in a temporary folder, 127.0.0.1
          on a free port, pool_mode = transaction, 2 server connections; persistent
          connections to PgBouncer, server-side cursors off (DATABASE_DISABLE_SERVER_SIDE_CURSORS).
          The same checks, and practitioners' FHIR downloads during the load must be whole.

The check-ins made are removed afterwards (the bench clinic stays as seeded).
Results: printed, and written to bench-results/load-<time>.json.

    .venv/bin/python scripts/load.py [--seconds 60] [--users 50] [--drills load,fault,scale,backup]
        [--pgbouncer]
"""

import argparse
import csv
import http.client
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import HOST, percentile, say  # noqa: E402

DRILLS = ("load", "fault", "deploy", "scale", "backup")
# Run only when asked for (--pgbouncer, or --drills pgbouncer): it needs PgBouncer installed.
OPTIONAL_DRILLS = ("pgbouncer",)
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
        "http_500": sum(1 for _, _, status in errors if status == 500),
        "error_statuses": dict(Counter(f"{kind} {status}" for _, kind, status in errors)),
        "p50_ms": percentile(good_all, 50),
        "p95_ms": percentile(good_all, 95),
        "p99_ms": percentile(good_all, 99),
        "per_kind": per_kind,
    }, errors


def run_drill(name, servers, args, restart_after=None, exports=None, disrupt=None):
    """The load on `servers`; after `restart_after` seconds, `disrupt()` (by default a
    PostgreSQL restart), which returns its (start, end) wall-clock times."""
    disrupt = disrupt or restart_postgres
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
            if disrupt is restart_postgres:
                say(
                    f"[{name}] pg_ctlcluster {harness.pg_version()} main restart "
                    "(the whole local cluster: its other users see an outage too)..."
                )
            else:
                say(f"[{name}] {disrupt.__doc__.splitlines()[0]}")
            restart = disrupt()
            say(f"[{name}] back after {restart[1] - restart[0]:.1f} s")
        if exports is not None:
            time.sleep(min(5, args.seconds / 4))  # the load under way
            signed_in = list(zip(practitioners, clients[len(patients) :], strict=True))
            checks["fhir_exports"] = exports(signed_in, lists, load_patients)
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


def deploy(server):
    def reload():
        """kill -HUP gunicorn (a deploy: new workers, the old ones finish first)..."""
        return server.reload()

    return reload


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


# PgBouncer (the pgbouncer drill)

# Server connections per database and user: fewer than the app's 4 workers (two
# instances of 2), so that PgBouncer really shares them between clients.
PGBOUNCER_POOL_SIZE = 2
# Exports fetched during the pgbouncer drill (each streams a patient's whole history).
FHIR_EXPORTS = 6


def pgbouncer_ini(folder, port, db=harness.BENCH_DB, pool_size=PGBOUNCER_POOL_SIZE):
    """PgBouncer's configuration: loopback only, transaction pooling, in front of the
    local PostgreSQL (trust, user postgres), files kept in `folder`."""
    return "\n".join(
        [
            "[databases]",
            f"{db} = host={HOST} port=5432 dbname={db}",
            "",
            "[pgbouncer]",
            f"listen_addr = {HOST}",
            f"listen_port = {port}",
            # No Unix socket: the app and the drill use TCP on loopback.
            "unix_socket_dir =",
            "pool_mode = transaction",
            f"default_pool_size = {pool_size}",
            "max_client_conn = 100",
            "auth_type = trust",
            f"auth_file = {folder}/userlist.txt",
            "admin_users = postgres",
            # SHOW STATS totals are brought up to date once a period.
            "stats_period = 1",
            f"logfile = {folder}/pgbouncer.log",
            f"pidfile = {folder}/pgbouncer.pid",
            "",
        ]
    )


class PgBouncer:
    """PgBouncer from Debian, started by the drill in a temporary folder and stopped at its end."""

    def __init__(self, db=harness.BENCH_DB, pool_size=PGBOUNCER_POOL_SIZE):
        self.db, self.pool_size = db, pool_size
        self.port = harness.free_port()
        self.folder = None
        self.process = None

    @property
    def url(self):
        return f"postgres://postgres@{HOST}:{self.port}/{self.db}"

    def start(self):
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            sys.exit("PgBouncer is not installed. Install it with `apt-get install -y pgbouncer`.")
        self.folder = Path(tempfile.mkdtemp(prefix="relief-pgbouncer-"))
        (self.folder / "userlist.txt").write_text('"postgres" ""\n')
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(pgbouncer_ini(self.folder, self.port, self.db, self.pool_size))
        command = [binary, str(ini)]
        if os.geteuid() == 0:
            # PgBouncer refuses to run as root: it switches to postgres, who must
            # be able to write its log and pid file.
            shutil.chown(self.folder, "postgres")
            command.insert(1, "-u")
            command.insert(2, "postgres")
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited:\n{self.log_tail()}")
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return self
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError(f"pgbouncer did not answer in 20 s:\n{self.log_tail()}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # shut down at once
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def show(self, what):
        """SHOW <what> on PgBouncer's admin console (psql: the console takes only the
        simple query protocol), as a list of dicts."""
        done = subprocess.run(
            [
                "psql",
                "-h",
                HOST,
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "pgbouncer",
                "--csv",
                "-c",
                f"SHOW {what}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return list(csv.DictReader(io.StringIO(done.stdout)))

    def stats(self):
        stats = next(r for r in self.show("STATS") if r["database"] == self.db)
        return {
            "transactions": int(stats["total_xact_count"]),
            "queries": int(stats["total_query_count"]),
            "client_wait_s": round(int(stats["total_wait_time"]) / 1e6, 2),
            "pool_size": self.pool_size,
            "server_connections": sum(1 for r in self.show("SERVERS") if r["database"] == self.db),
        }

    def log_tail(self, lines=20):
        try:
            return "\n".join((self.folder / "pgbouncer.log").read_text().splitlines()[-lines:])
        except (OSError, TypeError):
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class BouncedGunicorn(harness.Gunicorn):
    """gunicorn whose database is PgBouncer: the bench environment with DATABASE_URL
    pointing at it and server-side cursors off (DATABASE_DISABLE_SERVER_SIDE_CURSORS)."""

    def __init__(self, name, bouncer, **kwargs):
        super().__init__(name, **kwargs)
        # Django's .iterator() opens a server-side cursor WITH HOLD, which lives in one
        # PostgreSQL session; in transaction pooling its next FETCH may reach another one.
        self.extra_env = {
            "DATABASE_URL": bouncer.url,
            "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "True",
        }

    def start(self):
        # harness.Gunicorn.start takes its environment from harness.app_env.
        bench_env = harness.app_env
        harness.app_env = lambda db: {**bench_env(db), **self.extra_env}
        try:
            return super().start()
        finally:
            harness.app_env = bench_env


def fhir_exports(practitioners, lists, load_patients):
    """Practitioners download FHIR bundles while the load runs (each streams a patient's
    whole history through .iterator()); every bundle must be whole: one
    QuestionnaireResponse per entry in the database. `practitioners` are (username,
    signed-in client) pairs. The load's patients are left out, so that no check-in
    lands during a download."""
    busy = {
        r[0]
        for r in harness.sql(
            "SELECT public_id::text FROM tracker_patient WHERE id = ANY(%s)", [load_patients]
        )
    }
    results = []
    for i in range(FHIR_EXPORTS):
        name, client = practitioners[i % len(practitioners)]
        public_id = [p for p in lists[name] if p not in busy][i // len(practitioners)]
        t0 = time.monotonic()
        try:
            response = client.get(f"/practice/patients/{public_id}/fhir.json")
            status, body = response.status, response.body
        except (OSError, http.client.HTTPException) as error:
            # A stream that broke off half-way.
            status, body = type(error).__name__, b""
        ms = (time.monotonic() - t0) * 1000
        expected = harness.sql_one(
            "SELECT count(*) FROM tracker_symptomentry e JOIN tracker_patient p "
            "ON p.id = e.patient_id WHERE p.public_id = %s",
            [public_id],
        )
        try:
            bundle = harness.json.loads(body)
            found = sum(
                1
                for e in bundle["entry"]
                if e["resource"]["resourceType"] == "QuestionnaireResponse"
            )
        except (ValueError, KeyError):
            found = None
        results.append({"status": status, "entries": expected, "in_bundle": found, "ms": ms})
    whole = [r for r in results if r["status"] == 200 and r["in_bundle"] == r["entries"]]
    return {
        "downloads": len(results),
        "whole": len(whole),
        "statuses": dict(Counter(r["status"] for r in results)),
        "entries_per_bundle": [r["entries"] for r in results],
        "p50_ms": percentile([r["ms"] for r in whole], 50),
        "ok": len(whole) == len(results),
    }


def pgbouncer_drill(args):
    """The load drill with two gunicorn instances (4 workers) whose database is one
    PgBouncer in transaction mode with 2 server connections, and FHIR downloads."""
    with PgBouncer() as bouncer:
        say(f"[pgbouncer] pgbouncer on {HOST}:{bouncer.port}, pool_mode = transaction")
        servers = [
            BouncedGunicorn(f"pgbouncer-{i + 1}", bouncer, access_log=True) for i in range(2)
        ]
        try:
            for server in servers:
                server.start()
            say("[pgbouncer] gunicorn: " + ", ".join(s.base for s in servers) + " (2 workers each)")
            result = run_drill("pgbouncer", servers, args, exports=fhir_exports)
        finally:
            for server in servers:
                server.stop()
        result["pgbouncer"] = bouncer.stats()
    return result


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
        f"{r['error_statuses'] or ''}; HTTP 500s: {r['http_500']}; "
        f"socket errors: {sum(r['socket_errors'].values())}"
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
            f"{'App reload' if r['drill'] == 'deploy' else 'PostgreSQL restart'} at "
            f"{w['restart_began']} (the command took "
            f"{w['restart_command_s']} s); "
            + (
                f"errors from +{w['first_error_after_s']} s to +{w['last_error_after_s']} s: "
                f"lasted {w['errors_lasted_s']} s (target <= {ERROR_WINDOW_TARGET:.0f} s: "
                f"{'met' if w['target_met'] else 'MISSED'})"
                if w["errors"]
                else "no errors at all"
            )
        )
    if "pgbouncer" in r:
        b, f = r["pgbouncer"], r["fhir_exports"]
        say(
            f"PgBouncer (transaction pooling, pool size {b['pool_size']}): "
            f"{b['transactions']:,} transactions, {b['queries']:,} queries over "
            f"{b['server_connections']} PostgreSQL connections; clients waited "
            f"{b['client_wait_s']} s in all"
        )
        say(
            f"FHIR downloads during the load: {f['whole']} of {f['downloads']} whole "
            f"({f['statuses']}; entries per bundle {f['entries_per_bundle']}; "
            f"p50 {fmt(f['p50_ms'])}) => {'OK' if f['ok'] else 'FAILED'}"
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
    parser.add_argument(
        "--pgbouncer", action="store_true", help="add the pgbouncer drill (after the others)"
    )
    args = parser.parse_args()
    drills = [d for d in args.drills.split(",") if d]
    if args.pgbouncer and "pgbouncer" not in drills:
        drills.append("pgbouncer")
    if unknown := set(drills) - set(DRILLS) - set(OPTIONAL_DRILLS):
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
            if drill == "pgbouncer":
                results["pgbouncer"] = pgbouncer_drill(args)
                continue
            count = 2 if drill == "scale" else 1
            servers = [
                harness.Gunicorn(f"{drill}-{i + 1}", access_log=drill == "scale")
                for i in range(count)
            ]
            for server in servers:
                server.start()
            say(f"[{drill}] gunicorn: " + ", ".join(s.base for s in servers) + " (2 workers each)")
            restart, disrupt = None, None
            if drill in ("fault", "deploy"):
                restart = args.restart_after or args.seconds // 2
            if drill == "deploy":
                disrupt = deploy(servers[0])
            try:
                results[drill] = run_drill(
                    drill, servers, args, restart_after=restart, disrupt=disrupt
                )
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
        if r["http_500"]:
            failures.append(f"{name}: {r['http_500']} HTTP 500s")
        if name == "pgbouncer" and not r["fhir_exports"]["ok"]:
            failures.append("pgbouncer: FHIR downloads broken or incomplete")
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
