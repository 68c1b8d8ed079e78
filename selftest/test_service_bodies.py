#!/usr/bin/env python3
"""The step-20 services refuse large bodies and write nothing to disk.

The services of tests/e2e_services.py run outside the sandbox, in a fork
of the judge, and the student's main.py sends them whatever it likes. A
body over the cap, with a Content-Length or chunked, and a file upload of
any size must be answered 413 (or have the connection closed), and no
temporary file may appear on the host.
"""
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, List, Set

import pytest

from kata.catalogue.steps import SPECS_DIR

sys.path.insert(0, str(SPECS_DIR))
import e2e_services  # noqa: E402

BIG = 8 * 1024 * 1024
BLOCK = 64 * 1024
BOUNDARY = "kata-boundary"


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[Path]:
    """Serve the correct service on a Unix socket; yield the socket.

    The server's temporary folder (tempfile.gettempdir() in the forked
    server) is a folder of this test's own, so that a file spooled there
    is seen, and other programs' files in /tmp are not mistaken for one.
    """
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    where = tmp_path / "e2e.sock"
    with e2e_services.serving(e2e_services.make_service(), tmp_path / "log",
                              unix_socket=where):
        yield where


def temporary_names() -> Set[str]:
    """Return the names in the server's temporary folder."""
    return set(os.listdir(tempfile.gettempdir()))


def exchange(where: Path, head: bytes, body: Iterator[bytes]) -> bytes:
    """Send a request to the service and return what it answered.

    The server may answer and close before the whole body is sent: a
    refused write ends the sending, and what was answered is read.
    """
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(20)
    client.connect(str(where))
    try:
        try:
            client.sendall(head)
            for block in body:
                client.sendall(block)
        except (BrokenPipeError, ConnectionResetError):
            pass
        # Werkzeug's server reads what is left of a refused body (into
        # memory, 10 MB at a time) until the client stops sending.
        try:
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        answer: List[bytes] = []
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                answer.append(data)
        except (ConnectionResetError, socket.timeout):
            pass
        return b"".join(answer)
    finally:
        client.close()


def status(answer: bytes) -> bytes:
    """Return the status code of an answer (b"" when there is none)."""
    parts = answer.split(b"\r\n", 1)[0].split()
    return parts[1] if len(parts) > 1 else b""


def refused(answer: bytes) -> bool:
    """Tell whether an answer is a 413, or no answer (a closed connection)."""
    return answer == b"" or status(answer) == b"413"


def multipart(size: int) -> Iterator[bytes]:
    """Yield a multipart body whose one file part holds size bytes."""
    yield ('--{}\r\nContent-Disposition: form-data; name="email"; '
           'filename="big.bin"\r\nContent-Type: application/octet-stream'
           '\r\n\r\n'.format(BOUNDARY)).encode()
    for _ in range(size // BLOCK):
        yield b"\xa5" * BLOCK
    yield "\r\n--{}--\r\n".format(BOUNDARY).encode()


def test_a_small_form_is_served(service: Path) -> None:
    """The cap leaves the exercise's own requests alone."""
    body = b"email=bob%40example.com&password=secret"
    answer = exchange(service, (
        "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
        "application/x-www-form-urlencoded\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n".format(len(body))).encode(), iter([body]))
    assert status(answer) == b"200", answer[:200]


def test_a_large_multipart_upload_is_refused(service: Path) -> None:
    """8 MB of multipart with a Content-Length: 413, no temporary file."""
    before = temporary_names()
    length = sum(len(part) for part in multipart(BIG))
    answer = exchange(service, (
        "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
        "multipart/form-data; boundary={}\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n".format(BOUNDARY, length)).encode(),
        multipart(BIG))
    assert refused(answer), answer[:200]
    assert temporary_names() - before == set()


def test_a_small_file_upload_is_refused(service: Path) -> None:
    """Even a file part under the cap is refused, not spooled."""
    before = temporary_names()
    body = b"".join(multipart(0)).replace(b"\r\n\r\n\r\n",
                                          b"\r\n\r\nbob@example.com\r\n")
    answer = exchange(service, (
        "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
        "multipart/form-data; boundary={}\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n".format(BOUNDARY, len(body))).encode(),
        iter([body]))
    assert refused(answer), answer[:200]
    assert temporary_names() - before == set()


def chunked(size: int) -> Iterator[bytes]:
    """Yield a chunked form body of about size bytes, then its end."""
    yield b"%x\r\nemail=%s\r\n" % (6 + BLOCK, b"a" * BLOCK)
    for _ in range(size // BLOCK):
        yield b"%x\r\n%s\r\n" % (BLOCK, b"b" * BLOCK)
    yield b"0\r\n\r\n"


def test_a_large_chunked_body_is_refused(service: Path) -> None:
    """8 MB chunked, without a Content-Length: 413 or a closed connection."""
    before = temporary_names()
    started = time.monotonic()
    answer = exchange(service, (
        "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
        "application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked"
        "\r\nConnection: close\r\n\r\n").encode(), chunked(BIG))
    assert refused(answer), answer[:200]
    assert temporary_names() - before == set()
    assert time.monotonic() - started < 20


def test_a_chunked_multipart_upload_is_refused(service: Path) -> None:
    """A chunked multipart upload is refused as well."""
    before = temporary_names()

    def chunks() -> Iterator[bytes]:
        """Yield the multipart body, chunk by chunk."""
        for part in multipart(BIG):
            yield b"%x\r\n%s\r\n" % (len(part), part)
        yield b"0\r\n\r\n"

    answer = exchange(service, (
        "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
        "multipart/form-data; boundary={}\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n".format(BOUNDARY)).encode(), chunks())
    assert refused(answer), answer[:200]
    assert temporary_names() - before == set()
