"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Without Chromium the suite skips with one line saying how to install it, except
where RELIEF_E2E_REQUIRED=1 (CI), where a missing browser is a failure.
"""

import os
import re
import shutil
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.models import Patient, SideEffectReport, WeeklyAnswer
from tracker.reported import SIDE_EFFECT_DAYS, week_of

# Playwright's sync API runs an event loop in this thread; Django's ORM calls
# from the test body are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("RELIEF_CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = shutil.which(CHROMIUM) is not None
REQUIRED = os.environ.get("RELIEF_E2E_REQUIRED") == "1"
INSTALL_HINT = (
    "Chromium not found: install it with `sudo apt-get install -y chromium` to run tests/e2e"
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "neuropathy-demo"


def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if "tests/e2e/" in str(item.fspath)]
    if HAVE_CHROMIUM or not e2e:
        return
    if REQUIRED:
        raise pytest.UsageError(f"RELIEF_E2E_REQUIRED=1 but {INSTALL_HINT}")
    for item in e2e:
        item.add_marker(pytest.mark.skip(reason=INSTALL_HINT))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def demo(transactional_db):
    """The demo clinic, as `make run` shows it."""
    call_command("seed_demo", force=True, stdout=StringIO())


@pytest.fixture
def watch_factory(live_server):
    """A page that records console errors, failed requests and requests to other origins."""

    def watch(context):
        page = context.new_page()
        problems = []

        def on_console(message):
            # A page that is itself a 404 logs "Failed to load resource"; failed
            # sub-resources are caught below from their responses instead.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                problems.append(f"console: {message.text}")

        def on_response(response):
            if response.status >= 400 and response.request.resource_type != "document":
                problems.append(f"{response.status}: {response.url}")

        page.on("console", on_console)
        page.on("response", on_response)

        def on_failed(request):
            # ERR_ABORTED is the browser cancelling a load because the test moved
            # on to the next page; a missing file shows up as a 404 response above.
            if "ERR_ABORTED" not in (request.failure or ""):
                problems.append(f"failed: {request.url} {request.failure}")

        page.on("requestfailed", on_failed)

        def check_origin(request):
            if not request.url.startswith((live_server.url, "data:")):
                problems.append(f"other origin: {request.url}")

        page.on("request", check_origin)
        return page, problems

    return watch


def shot(page, name):
    """Save a screenshot for review (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


def demo_patient():
    """The demo clinic's patient (see the demo fixture)."""
    return Patient.objects.get(user__username="demo.patient")


def current_code(username):
    """The TOTP code an authenticator app would show now for the user's device."""
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(page, live_server, username, password=PASSWORD):
    """Sign in as a person would: password, then the code from their app if asked."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/accounts/verify/" in page.url:
        page.fill("input[name=code]", current_code(username))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()


def slug(url):
    """A stable file name for a page: ids become "id", so reruns overwrite."""
    url = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "id", url.lower())
    return re.sub(r"[^a-z0-9]+", "-", url).strip("-") or "home"


def nothing_more_to_ask(patient):
    """This week's questions and those about recent sessions answered (as skipped), so
    that a check-in goes straight on to the progress page (tracker/followup.py)."""
    now = timezone.now()
    WeeklyAnswer.objects.get_or_create(
        patient=patient, week_of=week_of(now), defaults={"answered_at": now}
    )
    recent = now - timedelta(days=SIDE_EFFECT_DAYS)
    for session in patient.sessions.held(now).filter(when__gte=recent):
        SideEffectReport.objects.get_or_create(
            patient=patient, session=session, defaults={"answered_at": now}
        )
