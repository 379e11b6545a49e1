"""Request bodies are capped before Django reads them (tracker/http.py).

DATA_UPLOAD_MAX_MEMORY_SIZE alone does not cap a multipart body: Django counts
only the form fields against it, and streams file parts to a temporary file
whatever their size. These tests hand the app a WSGI input stream, in place of
gunicorn's reader of the socket, that counts the bytes the app takes from it.
"""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tracker.models import SymptomEntry

MiB = 1024 * 1024
BOUNDARY = "relief-test-boundary"
CHECK_IN = {"pain": 3, "numbness": 3, "tingling": 3, "when": "now"}


class CountingInput:
    """A WSGI input stream: head, then filler_size bytes of b"x", then tail.

    The filler is made as it is read, so a 200 MiB body costs no memory.
    bytes_read is how much of it the app took.
    """

    def __init__(self, head=b"", filler_size=0, tail=b""):
        self.head, self.filler_size, self.tail = head, filler_size, tail
        self.length = len(head) + filler_size + len(tail)
        self.bytes_read = 0

    def _take(self, size):
        start = self.bytes_read
        if size is None or size < 0:
            size = self.length - start
        end = min(self.length, start + size)
        filler_end = len(self.head) + self.filler_size
        out = bytearray()
        if start < len(self.head):
            out += self.head[start : min(end, len(self.head))]
        if end > len(self.head) and start < filler_end:
            out += b"x" * (min(end, filler_end) - max(start, len(self.head)))
        if end > filler_end:
            out += self.tail[max(start, filler_end) - filler_end : end - filler_end]
        self.bytes_read = end
        return bytes(out)

    def read(self, size=-1):
        return self._take(size)

    def readline(self, size=-1):
        line = b""
        while (size is None or size < 0 or len(line) < size) and not line.endswith(b"\n"):
            byte = self._take(1)
            if not byte:
                break
            line += byte
        return line


def part(name, value):
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


def multipart_with_file(fields, file_size):
    """A multipart body: the fields, then one file part of file_size bytes."""
    head = b"".join(part(name, value) for name, value in fields.items())
    head += (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="attachment"; filename="scan.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return CountingInput(head, file_size, f"\r\n--{BOUNDARY}--\r\n".encode())


def post_stream(client, path, stream, content_type, **environ):
    environ.setdefault("CONTENT_LENGTH", str(stream.length))
    return client.generic(
        "POST", path, CONTENT_TYPE=content_type, **{"wsgi.input": stream}, **environ
    )


def csrf_token(client, path):
    """The token from the page's form, as a browser would send it back."""
    page = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.mark.django_db
def test_a_200_mib_multipart_body_is_refused_before_a_byte_is_read():
    # An anonymous visitor with a valid CSRF token (anyone can fetch the sign-in form).
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client, "/accounts/login/")
    fields = {"csrfmiddlewaretoken": token, "username": "alice", "password": "guess"}
    stream = multipart_with_file(fields, 200 * MiB)

    response = post_stream(
        client, "/accounts/login/", stream, f"multipart/form-data; boundary={BOUNDARY}"
    )

    assert (response.status_code, stream.bytes_read) == (413, 0)
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "too large" in response.content.decode()


@pytest.mark.django_db
def test_a_body_under_the_limit_is_still_read_in_full():
    # The control for the test above: the counting stream sees a normal sign-in's bytes.
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client, "/accounts/login/")
    head = part("csrfmiddlewaretoken", token) + part("username", "alice")
    stream = CountingInput(head, 0, f"--{BOUNDARY}--\r\n".encode())

    response = post_stream(
        client, "/accounts/login/", stream, f"multipart/form-data; boundary={BOUNDARY}"
    )

    assert response.status_code == 200  # the form, asking for the password
    assert stream.bytes_read == stream.length


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "application/json", "text/plain", ""],
)
def test_a_body_over_the_limit_is_refused_whatever_its_type(alice_client, content_type):
    stream = CountingInput(b"pain=3&numbness=3&tingling=3&when=now&note=", 1 * MiB)
    response = post_stream(alice_client, "/log/", stream, content_type)
    assert (response.status_code, stream.bytes_read) == (413, 0)
    assert SymptomEntry.objects.count() == 0


def test_the_limit_is_the_setting_to_the_byte(alice_client):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    for size, refused in ((limit, False), (limit + 1, True)):
        stream = CountingInput(b"note=", size - len(b"note="))
        response = post_stream(alice_client, "/log/", stream, "application/x-www-form-urlencoded")
        assert (response.status_code == 413) is refused, size
        assert (stream.bytes_read == 0) is refused, size


def test_a_check_in_with_a_3_mib_file_is_refused_and_nothing_is_saved(alice_client):
    upload = SimpleUploadedFile("scan.bin", b"\0" * (3 * MiB), "application/octet-stream")
    response = alice_client.post("/log/", {**CHECK_IN, "attachment": upload})
    assert response.status_code == 413
    assert SymptomEntry.objects.count() == 0


def test_a_check_in_with_a_small_file_is_refused_and_nothing_is_saved(alice_client):
    # Under the size limit a file part is no threat to memory, but no view takes
    # files: the whole request is refused at the first file part, and none of it is kept.
    upload = SimpleUploadedFile("note.txt", b"a small file", "text/plain")
    response = alice_client.post("/log/", {**CHECK_IN, "attachment": upload})
    assert response.status_code == 400
    assert "could not read that request" in response.content.decode()
    assert SymptomEntry.objects.count() == 0


@pytest.mark.parametrize("transfer_encoding", ["chunked", "gzip, chunked", "Chunked"])
def test_a_chunked_body_without_a_length_is_refused_unread(alice_client, transfer_encoding):
    # gunicorn decodes chunked bodies itself and passes no CONTENT_LENGTH; Django
    # then takes the body as empty today, and a later Django may read it to the end.
    stream = CountingInput(b"pain=3&numbness=3&tingling=3&when=now&note=", 1 * MiB)
    response = alice_client.generic(
        "POST",
        "/log/",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING=transfer_encoding,
        **{"wsgi.input": stream, "wsgi.input_terminated": True},
    )
    assert (response.status_code, stream.bytes_read) == (411, 0)
    assert "length" in response.content.decode()
    assert SymptomEntry.objects.count() == 0


@pytest.mark.parametrize("length", ["-1", "ten", "1e9", "+5", "0x10"])
def test_a_content_length_that_is_not_a_number_is_a_400(alice_client, length):
    stream = CountingInput(b"pain=3&numbness=3&tingling=3&when=now")
    response = post_stream(
        alice_client, "/log/", stream, "application/x-www-form-urlencoded", CONTENT_LENGTH=length
    )
    assert (response.status_code, stream.bytes_read) == (400, 0)
    assert SymptomEntry.objects.count() == 0


def cache_control(response):
    return response.headers.get("Cache-Control", "")


def test_public_pages_and_static_files_stay_cacheable(client, alice_client):
    # The signed-in side of this is walked over every URL in tests/test_access_matrix.py.
    for url in ("/learn/", "/learn/tracking-your-symptoms/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in cache_control(response), url
    for who in (client, alice_client):
        response = who.get("/static/css/app.css")
        assert response.status_code == 200
        assert "no-store" not in cache_control(response)
        assert "max-age" in cache_control(response)
