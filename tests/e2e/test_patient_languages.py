"""Issue 20's bar in the browser: a Spanish- or a Chinese-speaking patient accepts their
invitation, chooses reminders, checks in, answers the questions after it, reads their
progress, a learn page and their account, all in their own language, on a 360 px phone,
with axe on every page and no text running out of its box.

The browser itself asks for British English: the language comes from what the
practitioner chose for the patient, not from the phone.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from tests.conftest import make_user
from tests.e2e.conftest import shot
from tests.e2e.test_log_phone import MIN_TARGET, SMALL_TARGETS
from tracker.models import Invitation, Patient, Practitioner

pytestmark = pytest.mark.django_db(transaction=True)

ALL = [("en-gb", "English"), ("es", "Español"), ("zh-hans", "简体中文")]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "has_touch": True,
    "is_mobile": True,
    "locale": "en-GB",
}
# Words each language's pages must show, and English ones they must not.
LANGUAGES = {
    "es": {"lang": "es", "saved": "Guardado"},
    "zh-hans": {"lang": "zh-Hans", "saved": "已保存"},
}
ENGLISH = ("Save my", "Sign out", "My progress", "Choose your password", "How do you feel")

# Elements whose text runs past their own box (a long Spanish word in a button, a
# Chinese line that does not break), or past the screen's edge.
OVERFLOWING = r"""() => {
  const width = document.documentElement.clientWidth;
  const boxes = document.querySelectorAll(
    'main button, main .btn, main label, main h1, main h2, main p, main td, main th, main li,'
    + ' nav a, nav button');
  // Inside a box that scrolls sideways on purpose (a wide table), running past the
  // screen is how it is read.
  const scrolls = el => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(node).overflowX)) return true;
    }
    return false;
  };
  // Visually hidden (a phone table's header row): not seen, so it cannot overflow.
  const unseen = el => {
    for (let node = el; node; node = node.parentElement) {
      if (node.getBoundingClientRect().width <= 1) return true;
    }
    return false;
  };
  const overflowing = [...boxes].filter(el => {
    if (!el.offsetParent || unseen(el)) return false;
    const r = el.getBoundingClientRect();
    return el.scrollWidth > el.clientWidth + 1 || (!scrolls(el) && r.right > width + 1);
  }).map(el => el.outerHTML.slice(0, 120));
  // A phone table's cell labels (data-label, drawn by ::before): each word must fit
  // the label's column, or it runs into the value beside it.
  const ruler = document.createElement('canvas').getContext('2d');
  const labels = [...document.querySelectorAll('main td[data-label]')].filter(td => {
    if (!td.offsetParent) return false;
    const label = getComputedStyle(td, '::before');
    if (label.content === 'none' || label.float !== 'left') return false;
    ruler.font = `${label.fontWeight} ${label.fontSize} ${label.fontFamily}`;
    const longest = Math.max(...td.dataset.label.split(/\s+/).map(w => ruler.measureText(w).width));
    return longest > parseFloat(label.width) + 1;
  }).map(td => td.dataset.label);
  return overflowing.concat(labels);
}"""


def check_page(page, language, name):
    assert page.locator("html").get_attribute("lang") == LANGUAGES[language]["lang"]
    text = page.locator("body").inner_text()
    assert [words for words in ENGLISH if words in text] == [], page.url
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == [], page.url
    overflowing = page.evaluate(OVERFLOWING)
    assert overflowing == [], f"{page.url}: {overflowing}"
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    shot(page, f"{name}-{language}")


def invite(language):
    """A patient added by a practitioner who chose their language; their invitation link."""
    practitioner = Practitioner.objects.create(user=make_user("dr.lee"), display_name="Dr Lee")
    user = make_user("rosa@example.org", email="rosa@example.org")
    user.set_unusable_password()
    user.save()
    patient = Patient.objects.create(
        user=user, display_name="Rosa Li", practitioner=practitioner, language=language
    )
    _invitation, token = Invitation.issue(patient, practitioner, timezone.now())
    return patient, f"/invite/{token}/"


def tap_choice(page, name, value):
    """Tap the tile (the label) of a radio button, as a finger would."""
    choice = page.locator(f"input[name={name}][value='{value}']")
    page.locator(f"label[for={choice.get_attribute('id')}]").tap()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_patient_s_whole_journey_in_their_language(new_context, live_server, settings, language):
    settings.LANGUAGES = ALL
    patient, link = invite(language)
    page = new_context(**PHONE).new_page()

    page.goto(f"{live_server.url}{link}")
    check_page(page, language, "invitation-accept")
    passwords = page.locator("input[type=password]")
    passwords.nth(0).fill("my own long passphrase 2026")
    passwords.nth(1).fill("my own long passphrase 2026")
    page.locator("main button[type=submit]").tap()

    page.wait_for_url("**/account/reminders/?welcome=1")
    check_page(page, language, "reminders-welcome")
    tap_choice(page, "frequency", "daily")
    page.locator("main button[type=submit]").first.tap()

    page.wait_for_url("**/log/")
    check_page(page, language, "log")
    for symptom, score in (("pain", 6), ("numbness", 3), ("tingling", 0)):
        page.locator(f"label[for=id_{symptom}_{score}]").tap()
    page.locator("button.save-button").tap()

    # A new patient is asked this week's questions; skipping them goes on to progress.
    page.wait_for_url("**/questions/")
    assert LANGUAGES[language]["saved"] in page.locator(".messages").inner_text()
    check_page(page, language, "follow-up")
    page.locator("button[name=skip]").tap()

    page.wait_for_url("**/history/")
    assert page.locator("svg.chart").count() == 1
    check_page(page, language, "history")
    assert patient.entries.count() == 1

    page.goto(f"{live_server.url}/learn/")
    check_page(page, language, "learn-index")
    page.goto(f"{live_server.url}/account/")
    check_page(page, language, "account")
    patient.refresh_from_db()
    assert patient.language == language
