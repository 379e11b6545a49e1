"""The app on the home screen: manifest, icons, offline page, service worker, language."""

import json
import re
import struct
import zlib
from datetime import date

import pytest
from django.conf import settings
from django.utils import timezone

from tests.conftest import body, make_entry
from tracker import webapp
from tracker.forms import DischargeForm, IdentityFields

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def streamed(response):
    return b"".join(response) if response.streaming else response.content


def png_facts(data):
    """(width, height, alpha of the top-left pixel), read from the PNG's own bytes."""
    assert data[:8] == PNG_SIGNATURE
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    # 8-bit RGB (opaque throughout) or RGBA.
    channels = {2: 3, 6: 4}[colour_type]
    assert depth == 8
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    first_pixel = zlib.decompress(idat)[1 : 1 + channels]  # after the row's filter byte
    # The first pixel of the first row has no neighbours, so every PNG filter leaves it as is.
    return width, height, first_pixel[3] if channels == 4 else 255


def head_link(html, rel):
    match = re.search(rf'<link rel="{rel}" href="([^"]+)"', html)
    assert match, rel
    return match.group(1)


@pytest.fixture
def manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/manifest+json"
    return json.loads(response.content)


def test_the_manifest_makes_an_installable_standalone_app(manifest):
    assert manifest["name"] == "Relief Tracker"
    assert manifest["short_name"] == "Relief"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#1a56db"
    assert manifest["background_color"] == "#ffffff"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


def test_every_icon_is_served_at_the_size_it_declares(client, manifest):
    pngs = [icon for icon in manifest["icons"] if icon["type"] == "image/png"]
    for icon in pngs:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response.headers["Content-Type"] == "image/png"
        width, height, corner_alpha = png_facts(streamed(response))
        assert f"{width}x{height}" == icon["sizes"], icon["src"]
        if icon["purpose"] == "maskable":
            # The launcher cuts its own shape out of it: no transparent corners.
            assert corner_alpha == 255, icon["src"]
        else:
            assert corner_alpha == 0, f"{icon['src']}: the tile's corners are rounded"
    svg = next(icon for icon in manifest["icons"] if icon["type"] == "image/svg+xml")
    assert client.get(svg["src"]).status_code == 200


def test_every_page_links_the_manifest_theme_colour_and_touch_icon(client):
    html = body(client.get("/accounts/login/"))
    assert head_link(html, "manifest") == "/manifest.webmanifest"
    assert f'<meta name="theme-color" content="{webapp.THEME_COLOUR}">' in html
    touch = client.get(head_link(html, "apple-touch-icon"))
    assert png_facts(streamed(touch)) == (180, 180, 255)


def date_field(html):
    return re.search(r'<input type="datetime-local" name="recorded_at"[^>]*>', html).group(0)


def test_html_lang_and_date_fields_follow_the_clinic_s_language_setting(
    client, alice_client, settings
):
    assert settings.LANGUAGE_CODE == "en-gb"
    assert '<html lang="en-GB">' in body(client.get("/accounts/login/"))
    assert 'lang="en-GB"' in date_field(body(alice_client.get("/log/")))
    # A clinic in the US: CLINIC_LANGUAGE=en-us, offered alone.
    settings.LANGUAGE_CODE, settings.LANGUAGES = "en-us", [("en-us", "English (US)")]
    assert '<html lang="en-US">' in body(client.get("/accounts/login/"))
    assert 'lang="en-US"' in date_field(body(alice_client.get("/log/")))
    assert json.loads(client.get("/manifest.webmanifest").content)["lang"] == "en-US"


def test_typed_dates_are_read_day_first_as_the_clinic_writes_them():
    # Where a browser shows a plain text box instead of a date picker.
    identity = IdentityFields(data={"date_of_birth": "03/04/1950"})
    assert identity.is_valid(), identity.errors
    assert identity.cleaned_data["date_of_birth"] == date(1950, 4, 3)
    today = timezone.localdate()
    discharge = DischargeForm(data={"discharged_on": today.strftime("%d/%m/%Y")})
    discharge.is_valid()
    assert "discharged_on" not in discharge.errors


def test_the_offline_page_opens_signed_out_and_holds_nothing_personal(client, alice_client, alice):
    make_entry(alice, timezone.now(), note="alice-note-7f3")
    anonymous = client.get("/offline/")
    assert anonymous.status_code == 200
    signed_in = alice_client.get("/offline/")
    assert signed_in.status_code == 200
    # Byte for byte what anyone sees: no name, no scores, no navigation, no form or token.
    assert signed_in.content == anonymous.content
    html = body(signed_in)
    assert "No connection" in html
    assert "Alice" not in html and "alice" not in html
    assert "<form" not in html and "csrf" not in html.lower()


def test_the_service_worker_covers_the_app_and_caches_only_public_files(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert "Service-Worker-Allowed" not in response.headers  # at the root, its scope is "/"
    script = response.content.decode()
    cached = json.loads(re.search(r"const CACHED = (\[.*?\]);", script).group(1))
    assert cached[0] == "/offline/"
    assert all(url.startswith(settings.STATIC_URL) for url in cached[1:]), cached
    # Nothing else is ever put in the cache: cache.addAll at install is the only write.
    assert script.count("addAll(") == 1 and ".put(" not in script
