"""Issue 20 in the browser: the signed-out switcher and the account's language choice, at
360 and 1280 px with axe (Spanish and Chinese offered, as a clinic would list them)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import demo_patient, shot, sign_in
from tests.e2e.test_log_phone import MIN_TARGET, SMALL_TARGETS

pytestmark = pytest.mark.django_db(transaction=True)

ALL = [("en-gb", "English"), ("es", "Español"), ("zh-hans", "简体中文")]


def clean(page, name, targets=True):
    # Links inside running text (a learn page's [1]) are exempt from the target size.
    assert not targets or page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    shot(page, name)


@pytest.mark.parametrize("width", [360, 1280])
def test_a_signed_out_visitor_switches_language(demo, new_context, live_server, settings, width):
    settings.LANGUAGES = ALL
    page = new_context(viewport={"width": width, "height": 800}, locale="en-GB").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    clean(page, "sign-in-languages")

    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("link", name="Entrar").count() == 1
    clean(page, "sign-in-spanish")

    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    clean(page, "sign-in-chinese")


def test_a_patient_chooses_chinese_on_their_account(demo, new_context, live_server, settings):
    settings.LANGUAGES = ALL
    page = new_context(viewport={"width": 360, "height": 800}, locale="en-GB").new_page()
    sign_in(page, live_server, "demo.patient")
    page.goto(f"{live_server.url}/account/")

    page.get_by_text("简体中文").click()
    page.get_by_role("button", name="Use this language").click()
    page.wait_for_url("**/account/")

    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert demo_patient().language == "zh-hans"
    clean(page, "account-language")


@pytest.mark.parametrize(
    ("locale", "lang", "heading"),
    [
        ("es-ES", "es", "Seguridad y cuándo pedir ayuda"),
        ("zh-CN", "zh-Hans", "安全须知：什么时候要寻求帮助"),
    ],
)
def test_the_learn_pages_in_spanish_and_chinese_on_a_phone(
    demo, new_context, live_server, settings, locale, lang, heading
):
    settings.LANGUAGES = ALL
    page = new_context(viewport={"width": 360, "height": 800}, locale=locale).new_page()
    page.goto(f"{live_server.url}/learn/safety/")

    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("heading", level=1).inner_text() == heading
    clean(page, f"learn-safety-{lang}", targets=False)
