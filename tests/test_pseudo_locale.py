"""Every string on every page is marked for translation (issue 20), found by rendering
the pages in a pseudo-language.

The pseudo-language replaces each letter of every message with an accented look-alike
("Sign in" becomes "Šíĝñ íñ"), so that any plain English word left on a rendered page
is a string nobody marked. Patients' pages are rendered with a second catalogue that
pseudo-translates only the messages already translated into both Spanish and Chinese:
there, English also means a message a Spanish or Chinese patient would read in English.

The pseudo-language stands in for en-gb (the clinic's language in the tests), so the
rest of the app (language choice, middleware) runs as it does in real life.
"""

import html
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import django
import polib
import pytest
from django.conf import settings

from tests import test_access_matrix
from tests.conftest import client_for, make_entry, make_session, verified_client_for
from tests.test_access_matrix import GET, POST, statuses, url_for
from tests.test_languages import CATALOGUES
from tracker import learn
from tracker.models import Medicine, MedicineEvent, WeeklyAnswer
from tracker.reported import week_of
from tracker.templatetags import score_cells

ROOT = Path(__file__).resolve().parent.parent
DJANGO = Path(django.__file__).parent
# Django's own messages (form errors, month names, password rules): pseudo-translated
# too, as a real catalogue would translate them.
DJANGO_CATALOGUES = [
    DJANGO / "conf/locale/en/LC_MESSAGES/django.po",
    DJANGO / "contrib/auth/locale/en/LC_MESSAGES/django.po",
]
LOOK_ALIKES = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçđéƒĝĥíĵķĺɱñóƥǫŕšţúʋŵẋýžÁƁÇĐÉƑĜĤÍĴĶĹṀÑÓƤǪŔŠŢÚƲŴẊÝŽ",
)
# Placeholders, tags and entities keep their letters.
UNTOUCHED = re.compile(r"(%\([^)]+\)[sdifr]|%[sdifr%]|\{[^}]*\}|<[^>]+>|&#?\w+;)")
# Date and time formats ("j F Y", "H:i") are not words.
FORMAT = re.compile(r"^[A-Za-z](?:[\s,.:/\\-]+[A-Za-z])*$")


def pseudo(message):
    if FORMAT.match(message):
        return message
    return "".join(
        part if UNTOUCHED.fullmatch(part) else part.translate(LOOK_ALIKES)
        for part in UNTOUCHED.split(message)
    )


def translated_everywhere():
    """(msgctxt, msgid) of our messages translated into every shipped language."""
    done = None
    for path in CATALOGUES.values():
        keys = {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if e.translated()}
        done = keys if done is None else done & keys
    return done


def write_catalogue(folder, only=None):
    """A pseudo-language catalogue for en_GB in folder; `only` limits our own messages."""
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    seen = set()
    ours = polib.pofile(str(CATALOGUES["es"]))
    for source in [*[polib.pofile(str(p)) for p in DJANGO_CATALOGUES], ours]:
        for entry in source:
            key = (entry.msgctxt, entry.msgid)
            if not entry.msgid or key in seen:
                continue
            if source is ours and only is not None and key not in only:
                continue
            seen.add(key)
            copy = polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid)
            if entry.msgid_plural:
                copy.msgid_plural = entry.msgid_plural
                copy.msgstr_plural = {0: pseudo(entry.msgid), 1: pseudo(entry.msgid_plural)}
            else:
                copy.msgstr = pseudo(entry.msgid)
            catalogue.append(copy)
    target = folder / "en_GB" / "LC_MESSAGES"
    target.mkdir(parents=True)
    catalogue.save_as_mofile(str(target / "django.mo"))
    return folder


@pytest.fixture(scope="session")
def every_message(tmp_path_factory):
    return write_catalogue(tmp_path_factory.mktemp("pseudo-all"))


@pytest.fixture(scope="session")
def translated_messages(tmp_path_factory):
    return write_catalogue(tmp_path_factory.mktemp("pseudo-translated"), translated_everywhere())


class VisibleText(HTMLParser):
    """The words a person sees or hears: text outside scripts, and the attributes read out."""

    SPOKEN = {"alt", "title", "aria-label", "placeholder", "aria-description"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        attrs = dict(attrs)
        for name in self.SPOKEN & attrs.keys():
            self.parts.append(attrs[name] or "")
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def learn_texts():
    """The learn pages' titles and summaries: their own content files translate them."""
    return sorted(
        {text for page in learn.all_pages() for text in (page.title, page.summary)},
        key=len,
        reverse=True,
    )


# Words that are not messages: the brand, the people and data the test world plants
# (tests/test_access_matrix.py), the languages' own names, units.
NOT_MESSAGES = re.compile(
    r"Relief Tracker|\S+@\S+|\S+://\S+|[\w.-]+(?:/[\w.-]*)+|alice-[a-z0-9-]+|bob-[a-z0-9-]+"
    r"|carol-[a-z0-9-]+|\b(?:Alice|Archer|Bob|Baker|Carol|Carter|Dr|Xavier|Yara|Zoe|alice|bob"
    r"|xavier|yara|zoe|sam|mg)\b"
    # Acronyms (QR, CSV, IMMPACT) and codes (a sign-in code, an authenticator's secret).
    r"|(?<![A-Za-z])[A-Z]{2,}(?![a-z])"
    # The authors of a method the practitioner's pages cite by name.
    r"|\bJacobson\b|\bTruax\b"
)


def english_words(page):
    parser = VisibleText()
    parser.feed(page)
    visible = html.unescape(" ".join(parser.parts))
    for text in learn_texts():
        visible = visible.replace(text, " ")
    for _code, name in settings.LANGUAGES:
        visible = visible.replace(name, " ")
    # The clinic's time zone, a name from the tz database ("Europe/London").
    visible = visible.replace(settings.TIME_ZONE.replace("_", " "), " ")
    visible = NOT_MESSAGES.sub(" ", visible)
    return sorted(set(re.findall(r"[A-Za-z]{2,}", visible)))


# The access matrix's people and records (a fixture).
world = test_access_matrix.world

PATIENT_SIDE = ("anon", "alice")
PRACTICE_SIDE = ("xavier", "staff")
SKIPPED = {
    # Content files, not messages (tests/test_learn_translations.py checks them).
    "tracker:learn_page",
    # Data formats, not pages.
    "tracker:ping",
    "tracker:manifest",
    "tracker:service_worker",
    "tracker:export_csv",
    "tracker:fhir_bundle",
    "tracker:my_fhir_bundle",
    "tracker:fhir_questionnaire",
    "tracker:fhir_code_system",
    "my_data",
}


def pages(table):
    return [
        (method, name, actor)
        for method, rows in (("GET", GET), ("POST", POST))
        if rows is table
        for name in rows
        if name not in SKIPPED
        for actor in (*PATIENT_SIDE, *PRACTICE_SIDE)
        if statuses(rows, name)[actor] == 200
    ]


@pytest.fixture(autouse=True)
def no_kept_cells():
    """Kept cells and rows are keyed by language code, and the pseudo-language borrows
    en-gb's: cells kept by another test would be in real English."""
    score_cells.forget_kept()
    yield
    score_cells.forget_kept()


@pytest.fixture
def three(settings):
    settings.LANGUAGES = [("en-gb", "English"), ("es", "Español"), ("zh-hans", "简体中文")]


@pytest.mark.parametrize(("method", "name", "actor"), pages(GET) + pages(POST))
def test_no_page_shows_an_unmarked_string(
    world, settings, three, every_message, translated_messages, method, name, actor
):
    alice, entry, session, sign_in = world
    settings.LOCALE_PATHS = [translated_messages if actor in PATIENT_SIDE else every_message]
    url = url_for(name, alice, entry, session)
    client = sign_in(actor)

    response = client.get(url) if method == "GET" else client.post(url)

    assert response.status_code == 200
    words = english_words(response.content.decode())
    assert not words, f"{actor} {method} {url}: {' '.join(words)}"


def test_the_pseudo_language_would_find_an_unmarked_word(world, settings, every_message):
    """The check can fail: a page in the pseudo-language has no plain English word,
    and the same page in English has many."""
    alice, entry, session, sign_in = world
    client = sign_in("alice")
    english = english_words(client.get("/log/").content.decode())
    settings.LOCALE_PATHS = [every_message]

    assert "Sign" in english and "out" in english
    assert "Sign" not in english_words(client.get("/log/").content.decode())


@pytest.fixture
def course(alice, frozen):
    """Two months of Alice's check-ins, worse after two sessions, a fall, a medicine and
    its events, and a session still to come: the figures, flags, sentences and chart
    labels all shown."""
    start = frozen - timedelta(days=60)
    for day in range(60):
        worse = 3 if day > 45 else 0
        make_entry(
            alice,
            start + timedelta(days=day, hours=9),
            pain=min(10, 4 + worse + day % 2),
            numbness=5,
            tingling=max(0, 6 - day // 10),
            note="alice-note-7f3" if day % 7 == 0 else "",
        )
    for days in (-40, -20, 5):
        make_session(alice, frozen + timedelta(days=days))
    WeeklyAnswer.objects.create(
        patient=alice,
        week_of=week_of(frozen),
        sleep_interference=6,
        fell=True,
        answered_at=frozen - timedelta(hours=1),
    )
    medicine = Medicine.objects.create(patient=alice, name="alice-medicine-4e8", dose="75 mg")
    # Both kinds of medicine event ticked at the last check-in, shown on the history.
    last = alice.entries.latest("recorded_at")
    for kind, named in (("extra_dose", medicine), ("changed", None)):
        MedicineEvent.objects.create(
            patient=alice, entry=last, kind=kind, medicine=named, occurred_at=last.recorded_at
        )
    return alice


RICH_PAGES = [
    ("alice", "/history/"),
    ("alice", "/history/?range=all"),
    ("alice", "/log/"),
    ("alice", "/account/"),
    ("alice", "/account/medicines/"),
    ("xavier", "/practice/"),
    ("xavier", "/practice/?show=all"),
    ("xavier", "DETAIL/"),
    ("xavier", "DETAIL/?range=all"),
    ("xavier", "DETAIL/report/"),
]


@pytest.mark.parametrize(("actor", "url"), RICH_PAGES)
def test_a_course_s_pages_show_no_unmarked_string(
    course, settings, three, every_message, translated_messages, actor, url
):
    settings.LOCALE_PATHS = [translated_messages if actor in PATIENT_SIDE else every_message]
    client = (
        client_for(course.user)
        if actor == "alice"
        else verified_client_for(course.practitioner.user)
    )
    url = url.replace("DETAIL", f"/practice/patients/{course.public_id}")

    response = client.get(url)

    assert response.status_code == 200
    words = english_words(response.content.decode())
    assert not words, f"{actor} GET {url}: {' '.join(words)}"


@pytest.mark.parametrize(
    "answers",
    [
        # Saved: the message after a check-in, against the last one and the baseline.
        {"pain": "7", "numbness": "5", "tingling": "1"},
        # Refused: out of range, and a date in the future.
        {"pain": "11", "numbness": "5", "tingling": "x", "recorded_at": "2099-01-01T10:00"},
    ],
)
def test_a_check_in_s_messages_are_marked(course, settings, three, translated_messages, answers):
    settings.LOCALE_PATHS = [translated_messages]
    client = client_for(course.user)
    form = client.get("/log/").context["form"]
    data = {**{name: form[name].value() or "" for name in form.fields}, **answers}
    data = {name: value for name, value in data.items() if value not in (None, [])}

    response = client.post("/log/", data, follow=True)

    assert response.status_code == 200
    words = english_words(response.content.decode())
    assert not words, f"check-in {answers}: {' '.join(words)}"
