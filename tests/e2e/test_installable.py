"""The app on the home screen, as Chromium judges it, and the clinic's language in date fields.

Chromium's own installability check (Page.getInstallabilityErrors, what Lighthouse's
installable-manifest audit reported) on a signed-out and a signed-in page; the
service worker's cache after a patient's pages; the offline page when the network
is gone. `make lighthouse` runs Lighthouse's audit itself (not part of `make test`).
"""

import pytest

from tests.e2e.conftest import demo_patient, shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}

CACHED_PATHS = """async () => {
  const paths = [];
  for (const key of await caches.keys()) {
    const cache = await caches.open(key);
    for (const request of await cache.keys()) paths.push(new URL(request.url).pathname);
  }
  return paths.sort();
}"""


def installability_errors(page):
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert manifest["errors"] == []
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    cdp.detach()
    return [error["errorId"] for error in errors]


@pytest.fixture
def profile(browser_type, browser_type_launch_args, tmp_path):
    """A browser with a profile on disk, as a person's is: Chromium never offers to
    install an app from an incognito window, which is what Playwright's contexts are."""
    opened = []

    def launch(extra_args=(), **options):
        args = [*browser_type_launch_args["args"], *extra_args]
        context = browser_type.launch_persistent_context(
            tmp_path / "profile", **{**browser_type_launch_args, "args": args}, **options
        )
        opened.append(context)
        return context

    yield launch
    for context in opened:
        context.close()


def test_the_app_installs_and_offline_shows_no_record(demo, profile, live_server, watch_factory):
    context = profile(**PHONE)
    page, problems = watch_factory(context)
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert installability_errors(page) == []

    sign_in(page, live_server, "demo.patient")
    assert page.url.endswith("/log/")
    assert installability_errors(page) == []
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(f"{live_server.url}/history/")
    assert page.locator(".entry").count() > 0
    assert problems == []
    # After the patient's own pages: only the offline page and style sheets are kept.
    cached = page.evaluate(CACHED_PATHS)
    assert "/offline/" in cached
    assert all(path == "/offline/" or path.startswith("/static/") for path in cached), cached

    context.set_offline(True)
    page.goto(f"{live_server.url}/history/")
    assert page.locator("h1").inner_text() == "No connection"
    assert page.locator(".entry").count() == 0
    assert demo_patient().display_name not in page.content()
    assert page.get_by_role("button", name="Sign out").count() == 0
    # The cached style sheets still apply: the button is the app's, not the browser's.
    assert page.locator(".btn-primary").evaluate("el => getComputedStyle(el).minHeight") == "52px"
    shot(page, "offline")
    context.set_offline(False)


# Chromium draws a date field in its own interface language, whatever the page says,
# unless this Blink feature is on (off by default); with it, fields follow <html lang>.
LANG_AWARE = "--enable-blink-features=LangAttributeAwareFormControlUI"


def test_date_fields_follow_the_clinic_s_language_where_the_browser_allows(
    demo, profile, live_server
):
    page = profile([LANG_AWARE]).new_page()
    sign_in(page, live_server, "demo.patient")
    page.get_by_text("Earlier", exact=True).click()
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    parts = [
        node["name"]["value"].split()[0]
        for node in nodes
        if node.get("role", {}).get("value") == "spinbutton"
    ]
    # en-GB: day first and a 24-hour clock, no AM/PM.
    assert parts == ["Day", "Month", "Year", "Hours", "Minutes"]
