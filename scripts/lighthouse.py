"""Lighthouse's installability audit against the demo clinic, signed out and signed in.

    make lighthouse

Lighthouse 11 (package.json) is the last with the PWA category and its
installable-manifest audit; Lighthouse 12 dropped both. The app runs on
127.0.0.1 (a secure context, as an app must be to install) from a database of its
own, seeded with the demo clinic; the signed-in run uses the demo patient's cookie.
Exits 1 unless both pages pass. Not part of `make test`: it needs node_modules.
"""

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("LIGHTHOUSE_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run --disable-quic"
)
AUDIT = "installable-manifest"


def manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs
    )


def start_server(env):
    manage(env, "migrate", "--no-input", stdout=subprocess.DEVNULL)
    manage(env, "seed_demo", "--if-empty", stdout=subprocess.DEVNULL)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/accounts/login/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("The app did not start on " + BASE)


def patient_cookie():
    """Sign in as the demo patient as a browser would; the session cookie's header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{BASE}/accounts/login/"
    page = opener.open(login).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": "demo.patient"}
    form["password"] = "neuropathy-demo"
    data = urllib.parse.urlencode(form).encode()
    opener.open(urllib.request.Request(login, data=data, headers={"Referer": login}))
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit("Could not sign in as the demo patient")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def audit(url, headers=None):
    """The installable-manifest audit's score and reasons for one page."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [
            str(LIGHTHOUSE),
            url,
            f"--only-audits={AUDIT}",
            "--output=json",
            f"--output-path={report}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--quiet",
        ]
        if headers:
            extra = Path(tmp) / "headers.json"
            extra.write_text(json.dumps(headers))
            command.append(f"--extra-headers={extra}")
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        subprocess.run(command, check=True, env=env)
        result = json.loads(report.read_text())
    found = result["audits"][AUDIT]
    reasons = [item["reason"] for item in (found.get("details") or {}).get("items", [])]
    if urllib.parse.urlsplit(result["finalDisplayedUrl"]).path != urllib.parse.urlsplit(url).path:
        raise SystemExit(f"{url} ended at {result['finalDisplayedUrl']}: not the page asked for")
    return found["score"], reasons, result["lighthouseVersion"]


def main():
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: run `make lighthouse`")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp}/lighthouse.sqlite3",
        }
        server = start_server(env)
        try:
            pages = [
                ("signed out", f"{BASE}/accounts/login/", None),
                ("demo patient", f"{BASE}/log/", {"Cookie": patient_cookie()}),
            ]
            failed = False
            for who, url, headers in pages:
                score, reasons, version = audit(url, headers)
                verdict = "pass" if score == 1 else "FAIL"
                print(f"Lighthouse {version} {AUDIT}, {who}, {url}: {verdict} {reasons or ''}")
                failed = failed or score != 1
        finally:
            server.terminate()
            server.wait()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
