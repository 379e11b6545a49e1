"""A long clinic name in the header of a 360 px phone: it wraps, and the nav stays on screen."""

import pytest

from tests.e2e.conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

LONG_NAME = "Saint Bartholomew's Community Acupuncture and Integrative Neuropathy Clinic"

# Each header link and button, and the brand, by its box; and whether the page scrolls sideways.
MEASURE = """() => {
  const vw = window.innerWidth;
  const boxes = [...document.querySelectorAll(
    '.site-header a, .site-header button, .site-header .brand-clinic')]
    .map(e => { const r = e.getBoundingClientRect();
                return {text: e.innerText.trim(), left: r.left, right: r.right, top: r.top}; });
  return {overflow: document.documentElement.scrollWidth - vw, vw, boxes};
}"""


@pytest.mark.parametrize("who", ["signed out", "demo.practitioner"])
def test_a_long_clinic_name_wraps_and_keeps_the_nav_on_a_phone(
    new_context, live_server, settings, demo, who
):
    settings.CLINIC_NAME = LONG_NAME
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    if who == "signed out":
        page.goto(f"{live_server.url}/accounts/login/")
    else:
        sign_in(page, live_server, who)
        page.goto(f"{live_server.url}/practice/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".site-header").screenshot(
        path=SCREENSHOTS / f"header-long-clinic-name-360-{who.replace(' ', '-')}.png"
    )
    measured = page.evaluate(MEASURE)

    assert measured["overflow"] <= 0, measured
    for box in measured["boxes"]:
        assert box["left"] >= 0 and box["right"] <= measured["vw"] + 0.5, box
    texts = [b["text"] for b in measured["boxes"]]
    assert LONG_NAME in texts
    # Signing in or out shares the first row with the brand, as without a clinic name.
    session = next(b for b in measured["boxes"] if b["text"] in ("Sign in", "Sign out"))
    brand = next(b for b in measured["boxes"] if b["text"].startswith("Relief Tracker"))
    assert session["top"] < brand["top"] + 44, measured
