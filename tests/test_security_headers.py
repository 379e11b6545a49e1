"""Transport and browser-side protections: CSP and headers on every page, CSRF,
request size, error pages, and templates that a strict CSP can serve."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tests.test_access_matrix import GET, statuses, url_for
from tracker.models import SymptomEntry

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def csp_directives(response):
    header = response.headers["Content-Security-Policy"]
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in parts}


@pytest.fixture
def pages(alice, alice_client, xavier_client, client):
    """One GET per page of the public map, each by someone allowed to see it."""
    entry = SymptomEntry.objects.create(
        patient=alice, recorded_at=timezone.now(), pain=1, numbness=2, tingling=3
    )
    session = alice.sessions.create(practitioner=alice.practitioner, when=timezone.now())
    result = []
    for name in GET:
        expected = statuses(GET, name)
        url = url_for(name, alice, entry, session)
        actor = next((a for a in ("alice", "xavier", "anon") if expected.get(a) == 200), "anon")
        result.append((url, {"alice": alice_client, "xavier": xavier_client}.get(actor, client)))
    return result


def test_every_page_sends_a_strict_content_security_policy(pages):
    for url, client in pages:
        response = client.get(url)
        directives = csp_directives(response)
        assert directives["default-src"] == ["'self'"], url
        assert directives["frame-ancestors"] == ["'none'"], url
        assert directives["form-action"] == ["'self'"], url
        header = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in header and "unsafe-eval" not in header, url


def test_every_page_sends_the_protective_headers(pages):
    for url, client in pages:
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "same-origin", url
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", url


def test_no_template_has_inline_script_style_or_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path.name}: style attribute")
        if re.search(r"<[^>]+\son[a-z]+\s*=", text):
            offenders.append(f"{path.name}: event handler attribute")
        if re.search(r"<style[\s>]", text):
            offenders.append(f"{path.name}: <style> element")
    assert not offenders, offenders


def test_no_page_loads_anything_from_another_origin(pages):
    for url, client in pages:
        response = client.get(url)
        content = b"".join(response) if response.streaming else response.content
        body = content.decode()
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', body)
        # Links out (references on learn pages) are fine; loaded assets are not.
        loaded = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', body)
        assert not loaded, (url, loaded, external[:3])


def test_a_post_without_csrf_token_is_refused_and_saves_nothing(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    response = client.post("/log/", {"pain": 3, "numbness": 3, "tingling": 3, "when": "now"})
    assert response.status_code == 403
    assert "nothing was saved" in response.content.decode()
    assert SymptomEntry.objects.count() == 0


def test_an_oversized_request_is_a_clean_413_and_saves_nothing(alice_client):
    note = "x" * (70 * 1024)
    response = alice_client.post(
        "/log/", {"pain": 3, "numbness": 3, "tingling": 3, "when": "now", "note": note}
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert SymptomEntry.objects.count() == 0


def test_the_not_found_page_reveals_nothing(client):
    response = client.get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "could not find that page" in body
    for leak in ("Traceback", "urlpatterns", "clinic.urls", "DEBUG"):
        assert leak not in body


def test_the_server_error_page_reveals_nothing(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body


def test_hostile_text_round_trips_escaped(alice_client, alice):
    hostile = "<img src=x onerror=alert(1)> \"quotes\" & 'apostrophes' <script>alert(2)</script>"
    response = alice_client.post(
        "/log/", {"pain": 3, "numbness": 3, "tingling": 3, "when": "now", "note": hostile}
    )
    assert response.status_code == 302
    assert SymptomEntry.objects.get().note == hostile
    body = alice_client.get("/history/").content.decode()
    assert "<img src=x" not in body and "<script>alert(2)" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
