"""Shared pieces of `make bench` (scripts/bench.py) and `make load` (scripts/load.py).

- A benchmark database of its own (relief_bench), seeded by `manage.py seed_bench`;
  real and development data are never touched.
- gunicorn as in production: 2 sync workers, debug off, PostgreSQL with persistent
  connections and health checks, static files collected (manifest storage).
- Signing in like a browser (CSRF token from the form, cookies, the TOTP second
  step for practitioners) with http.client; wrk (from Debian) drives the load.

Standard library only, plus psycopg and django_otp from requirements.txt, and the bench
clinic's sign-in details from tracker/management/bench_accounts.py (no Django settings).
Run with the project's virtualenv: `.venv/bin/python scripts/bench.py`.
"""

import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from django_otp.oath import totp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The bench clinic's user names, password and TOTP key, as seed_bench makes them
# (load.py builds user names from harness.PREFIX).
from tracker.management.bench_accounts import OTP_KEY, PASSWORD, PREFIX  # noqa: E402, F401
from tracker.symptoms import NAMES  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench-results"
WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
HOST = "127.0.0.1"  # only ever loopback
PG_URL = f"postgres://postgres@{HOST}:5432/"
BENCH_DB = "relief_bench"
# The bench clinic's size: 20 practitioners with 100 patients each, two years of entries.
PATIENTS = 2000
PRACTITIONERS = 20
DAYS = 730


def bench_database(scale=1):
    """The bench clinic's database at a size: relief_bench, or relief_bench_x10 for a clinic
    ten times larger (seed_bench --scale: more practitioners, 100 patients each still)."""
    return BENCH_DB if scale == 1 else f"{BENCH_DB}_x{scale}"


# What the wrk scripts need to know about the app: the check-in form's score fields.
WRK_ENV = {"CHECKIN_SYMPTOMS": ",".join(NAMES)}

# One secret key for every bench run and every gunicorn instance (the scale-out drill
# needs sessions valid on either instance; two runs at once, e.g. make bench-cpu beside
# make load, must be able to read each other's sessions, or each sign-in ends the other
# run's sessions of the same bench user). The bench databases hold made-up people only.
SECRET_KEY = "bench-only-not-secret-" + "relief-tracker-bench-clinic-0123456789"


def say(text=""):
    print(text, flush=True)


def app_env(db=BENCH_DB):
    """The environment for manage.py and gunicorn: production settings on the bench database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=PG_URL + db,
        DATABASE_CONN_MAX_AGE="600",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Required with debug off. The bench sends no email, and each instance's port
        # is chosen when it starts, so the host alone.
        DJANGO_SITE_URL=f"http://{HOST}",
        # Plain HTTP on loopback: no redirect to HTTPS (the cookies stay Secure;
        # only browsers refuse to send those over HTTP, our clients do not).
        DJANGO_SECURE_SSL_REDIRECT="False",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def require_wrk():
    path = shutil.which("wrk")
    if not path:
        sys.exit(
            "wrk is not installed. Install it with `apt-get install -y wrk` "
            "(make bench and make load try that themselves when run as root)."
        )
    return path


def manage(*args, db=BENCH_DB, quiet=False):
    out = subprocess.DEVNULL if quiet else None
    subprocess.run(
        [VENV_BIN / "python", "manage.py", *args], cwd=ROOT, env=app_env(db), check=True, stdout=out
    )


# PostgreSQL


@contextmanager
def pg(db=BENCH_DB, autocommit=True):
    with psycopg.connect(PG_URL + db, autocommit=autocommit, connect_timeout=10) as conn:
        yield conn


def sql(query, params=None, db=BENCH_DB):
    with pg(db) as conn:
        return conn.execute(query, params).fetchall()


def sql_one(query, params=None, db=BENCH_DB):
    return sql(query, params, db)[0][0]


def ensure_database(db):
    if not sql("SELECT 1 FROM pg_database WHERE datname = %s", [db], db="postgres"):
        say(f"Creating database {db}")
        with pg("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{db}"')


def prepare_database(db=BENCH_DB, patients=PATIENTS, practitioners=PRACTITIONERS, days=DAYS):
    """Create, migrate and seed the bench database unless it already holds this clinic.

    The clinic is made again when its size differs or its newest entry is more than
    two days old (seed_bench dates the two years up to the day it runs). At --scale 10
    (200 practitioners, 20,000 patients, ~14 M entries) seeding takes minutes.
    """
    ensure_database(db)
    manage("migrate", "--no-input", db=db, quiet=True)
    counts = sql(
        "SELECT (SELECT count(*) FROM tracker_patient),"
        " (SELECT count(*) FROM tracker_practitioner),"
        " (SELECT max(recorded_at) > now() - interval '2 days' FROM tracker_symptomentry)",
        db=db,
    )[0]
    if counts[:2] == (patients, practitioners) and counts[2]:
        say(f"{db}: bench clinic present ({practitioners} practitioners, {patients} patients)")
        return
    say(f"{db}: seeding {practitioners} practitioners, {patients} patients, {days} days")
    reset = ["--reset"] if counts[0] else []
    started = time.monotonic()
    manage(
        "seed_bench",
        f"--patients={patients}",
        f"--practitioners={practitioners}",
        f"--days={days}",
        *reset,
        db=db,
    )
    say(f"{db}: seeded in {time.monotonic() - started:.0f} s")


def prepare_scale(scale=1):
    """prepare_database() for the bench clinic at this size; returns the database's name."""
    db = bench_database(scale)
    prepare_database(db, patients=PATIENTS * scale, practitioners=PRACTITIONERS * scale)
    return db


def collectstatic():
    manage("collectstatic", "--no-input", quiet=True)


def pg_version():
    return sorted(os.listdir("/etc/postgresql"))[-1]


def pg_ready(timeout=1):
    try:
        with psycopg.connect(PG_URL + "postgres", connect_timeout=timeout):
            return True
    except psycopg.OperationalError:
        return False


def ensure_postgres_running():
    """Start the local cluster if it is down (a drill must never leave it stopped)."""
    if pg_ready():
        return
    say("PostgreSQL is down: starting it")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "start"], check=False
    )
    deadline = time.monotonic() + 60
    while not pg_ready() and time.monotonic() < deadline:
        time.sleep(0.5)


# gunicorn


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """One gunicorn instance as in production: 2 sync workers, --no-control-socket."""

    def __init__(self, name, port=None, workers=2, db=BENCH_DB, access_log=False):
        self.name, self.port, self.workers, self.db = name, port or free_port(), workers, db
        self.log_path = RESULTS / f"gunicorn-{name}.log"
        self.access_log = RESULTS / f"gunicorn-{name}-access.log" if access_log else None
        self.process = None

    @property
    def base(self):
        return f"http://{HOST}:{self.port}"

    def start(self):
        RESULTS.mkdir(exist_ok=True)
        if self.access_log:
            self.access_log.unlink(missing_ok=True)  # gunicorn appends
        log = open(self.log_path, "w")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [
                VENV_BIN / "gunicorn",
                "clinic.wsgi",
                "-b",
                f"{HOST}:{self.port}",
                "-w",
                str(self.workers),
                "--no-control-socket",
                "--timeout",
                "60",
                # As in production (README): a worker finishes its requests on a reload or
                # a stop, and is replaced now and then so that no leak can grow.
                "--graceful-timeout",
                "30",
                "--max-requests",
                "1000",
                "--max-requests-jitter",
                "100",
                *(["--access-logfile", str(self.access_log)] if self.access_log else []),
            ],
            cwd=ROOT,
            env=app_env(self.db),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited:\n{self.log_tail()}")
            try:
                # Ready as a load balancer sees it: the database answers, migrations applied.
                if Client(self.port).get("/healthz/ready").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn {self.name} did not answer in 30 s:\n{self.log_tail()}")

    def reload(self):
        """A deploy: SIGHUP makes the master start new workers (with the code on disk now)
        and stop the old ones once their requests are answered. Returns when the new
        workers answer; (start, end) wall-clock times."""
        started = time.time()
        old_workers = set(self.worker_pids())
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            workers = set(self.worker_pids())
            if len(workers) >= self.workers and not workers & old_workers:
                return started, time.time()
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn {self.name} did not reload in 60 s:\n{self.log_tail()}")

    def worker_pids(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # Our own process group (start_new_session): the master and its workers.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def wait_idle(self):
        """Return once requests queued before this one are served (bounded: 180 s)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=180)
        try:
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
        finally:
            conn.close()

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def stop_on_sigterm():
    """Turn SIGTERM into SystemExit, so that `finally` blocks stop what was started."""

    def handler(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


# A browser-like HTTP client


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def location(self):
        return self.headers.get("Location", "")


CSRF_FIELD_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_from(html):
    match = CSRF_FIELD_RE.search(html)
    if not match:
        raise RuntimeError("no csrfmiddlewaretoken in the page")
    return match.group(1)


class Client:
    """Keeps cookies, sends the form's CSRF token and an Origin header, as a browser does.

    Redirects are not followed: callers check them.
    """

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    @property
    def origin(self):
        return f"http://{HOST}:{self.port}"

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method, path, data=None, headers=None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        sent = {"User-Agent": "relief-bench", "Accept-Encoding": "identity", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = self.cookie_header()
        body = None
        if data is not None:
            body = urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = self.origin
            sent["Referer"] = self.origin + path
        try:
            conn.request(method, path, body=body, headers=sent)
            resp = conn.getresponse()
            content = resp.read()
        finally:
            conn.close()
        for value in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(resp.status, resp.headers, content)

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, data, headers=None):
        return self.request("POST", path, data=data, headers=headers)

    def form_token(self, path):
        response = self.get(path)
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {response.location}")
        return csrf_from(response.text)

    def login(self, username, second_factor=False):
        """Sign in with the password and, for practitioners, a TOTP code from OTP_KEY."""
        token = self.form_token("/accounts/login/")
        response = self.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        if response.status != 302:
            raise RuntimeError(f"sign-in of {username} failed: {response.status}")
        if second_factor:
            self.verify(username)
        response = self.get("/ping/")
        if response.status != 200:
            raise RuntimeError(
                f"{username} is not signed in: {response.status} {response.location}"
            )
        return self

    def verify(self, username):
        """The second step. Each code works once per device: if this time step's code was
        used already (an earlier run), the next step's code is accepted (tolerance 1)."""
        key = bytes.fromhex(OTP_KEY)
        for drift in (0, 1, 1):
            token = self.form_token("/accounts/verify/")
            code = f"{totp(key, drift=drift):06d}"
            data = {"code": code, "csrfmiddlewaretoken": token, "next": "/practice/"}
            response = self.post("/accounts/verify/", data)
            if response.status == 302:
                return
            time.sleep(2.1)  # the device waits 1 s, then 2 s, after a wrong code
        raise RuntimeError(f"second step of {username} failed")

    def logout(self):
        try:
            token = self.form_token("/account/")
            self.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
        except (OSError, RuntimeError):
            pass


def login_many(port, usernames, second_factor=False):
    """Sign several users in, two at a time (gunicorn has 2 workers)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(name):
        return Client(port).login(name, second_factor=second_factor)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, usernames))


# wrk


def temp_file(lines, prefix):
    """The lines in a new temporary file, for a wrk script to read; the caller removes it."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (removed by the caller)
        "w", prefix=prefix, suffix=".txt", delete=False
    )
    handle.write("\n".join(lines) + "\n")
    handle.close()
    return Path(handle.name)


def run_wrk(script, url, env_extra, threads, connections, seconds, timeout_s=30):
    """Run wrk with one of scripts/wrk/*.lua; returns the JSON its done() prints."""
    cmd = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(WRK_SCRIPTS / script),
        url,
    ]
    env = {**os.environ, **WRK_ENV, **env_extra}
    done = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line[len("WRK_JSON ") :])
    raise RuntimeError(f"wrk gave no result ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def percentile(values, p):
    """The p-th percentile (nearest rank) of a list of numbers; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def write_json(name, data):
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (RESULTS / f"{name}-{stamp}.json", RESULTS / f"{name}-latest.json"):
        path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return RESULTS / f"{name}-{stamp}.json"
