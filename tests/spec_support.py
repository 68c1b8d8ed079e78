#!/usr/bin/env python3
"""What the step specs share: driving a submission and explaining failures.

The specs never import student code: that runs in a sandboxed subject
process (``kata/sandbox/subject/``). The ``submission`` fixture gives a spec a
``Submission``, whose methods return proxies (``kata.sandbox.remote.Remote``)
for the student's modules and objects; reading, calling or sending a request
through them asks the subject, and the answers come back as plain data. A
missing file, class or method fails the test with a sentence that names it.
"""
import contextlib
import hashlib
import json
import re
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple)

import pytest
from werkzeug.datastructures import Headers
from werkzeug.http import parse_cookie

from kata.reading.text import one_line
from kata.sandbox.remote import (Connection, Remote, RemoteError, SubjectBroke,
                                 SubjectFailure, Workdir, error_from_record,
                                 is_instance, read_scratch_file, valid_error)
from kata.sandbox.subject import wire

MESSAGE_LIMIT = 700
# How much of the name and of the message of an exception that escaped a
# view a "500" may carry: enough to read it, never the whole message budget.
ESCAPED_NAME_LIMIT = 80
ESCAPED_MESSAGE_LIMIT = 160
DATABASE_LIMIT = 16 * 1024 * 1024
# The judge's reading of a.db, which the submission wrote: bounds far above
# what the exercise's users table needs (five short columns, a few rows).
DATABASE_ROWS = 10000
DATABASE_BYTES = 16 * 1024 * 1024
DATABASE_SECONDS = 5.0
DATABASE_STEPS = 50 * 1000 * 1000
PROGRESS_EVERY = 1000
DATABASE_HEAP = 256 * 1024 * 1024
SQLITE_LIMITS = (
    ("SQLITE_LIMIT_LENGTH", 64 * 1024),
    ("SQLITE_LIMIT_SQL_LENGTH", 64 * 1024),
    ("SQLITE_LIMIT_COLUMN", 64),
    ("SQLITE_LIMIT_EXPR_DEPTH", 64),
    ("SQLITE_LIMIT_COMPOUND_SELECT", 8),
    ("SQLITE_LIMIT_FUNCTION_ARG", 8),
    ("SQLITE_LIMIT_ATTACHED", 0),
    ("SQLITE_LIMIT_LIKE_PATTERN_LENGTH", 1000),
    ("SQLITE_LIMIT_VARIABLE_NUMBER", 32),
    ("SQLITE_LIMIT_TRIGGER_DEPTH", 1),
    ("SQLITE_LIMIT_WORKER_THREADS", 0),
)
OUTPUT_LIMIT = 1024 * 1024
TAIL_BYTES = 4000
# CPU seconds of the subject's child (see
# kata.sandbox.remote.Connection.request).
IMPORT_SECONDS = 10.0

__all__ = ["Remote", "RemoteError", "is_instance"]


# Values that differ from one run to the next although the submission does
# not: a UUID (a session id, a reset token), a bcrypt hash's salt and
# digest, an object's address. A message shows their shape instead, so that
# the same submission always gets the same report.
RANDOM_VALUES = (
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<UUID>"),
    (re.compile(r"(\$2[abxy]?\$[0-9]{2}\$)[./A-Za-z0-9]{53}"),
     r"\1<53 characters of salt and hash>"),
    (re.compile(r"\b(at|object) 0x[0-9a-fA-F]{6,16}\b"), r"\1 0x..."),
)


def without_random_values(text: str) -> str:
    """Return text with each value that changes between runs by its shape."""
    for pattern, shape in RANDOM_VALUES:
        text = pattern.sub(shape, text)
    return text


# The length of a UUID's text, e.g. 12345678-1234-5678-1234-567812345678.
UUID_LENGTH = 36


def text_shape(text: str) -> str:
    """Return the length and the kinds of characters of a text, in words.

    The length is told against the 36 characters of a UUID's text, not
    counted: a random value's exact length changes from run to run.
    """
    kinds = [name for name, found in (
        ("digits", any(char.isdigit() for char in text)),
        ("letters", any(char.isalpha() for char in text)),
        ("hyphens", "-" in text),
        ("other characters", any(not (char.isalnum() or char == "-")
                                 for char in text))) if found]
    if not kinds:
        return "an empty str"
    listed = kinds[0] if len(kinds) == 1 else \
        ", ".join(kinds[:-1]) + " and " + kinds[-1]
    length = "36 characters" if len(text) == UUID_LENGTH else \
        "{} than a UUID's 36 characters".format(
            "fewer" if len(text) < UUID_LENGTH else "more")
    return "a str of {} ({})".format(length, listed)


def short(value: Any, limit: int = 80) -> str:
    """Return repr(value), cut to limit characters for a failure message."""
    text = repr(value)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def as_bytes(value: Any) -> Any:
    """Return a stored str as UTF-8 bytes and anything else unchanged.

    ``hashed_password`` may be stored as bytes or as str: both are right.
    """
    if isinstance(value, str):
        return value.encode("utf-8")
    return value


def outcome(call: Callable[[], Any]) -> Tuple[str, Any]:
    """Return ('returned', value) or ('raised', error) for the call.

    Only what student code raised counts as 'raised'; a subject that broke
    the protocol or hung fails the test with its own reason.
    """
    try:
        return "returned", call()
    except RemoteError as error:
        return "raised", error


def raised(result: Tuple[str, Any], kind: type) -> bool:
    """Tell whether an outcome is an exception of kind (or a subclass)."""
    return result[0] == "raised" and result[1].is_a(kind)


def describe_outcome(result: Tuple[str, Any]) -> str:
    """Return what a call did, in words, for a failure message."""
    kind, value = result
    if kind == "raised":
        return "it raised {}".format(value.describe(limit=80))
    if isinstance(value, Remote):
        try:
            if not value.is_class and hasattr(value, "id") and \
                    hasattr(value, "email"):
                return "it returned user {} ({})".format(value.id,
                                                         value.email)
        except RemoteError:
            pass
        return "it returned a {} object".format(value.type_name)
    return "it returned {}".format(short(value))


def unless_value_error(call: Callable[[], Any]) -> Optional[str]:
    """Return None if the call raises ValueError, else what it did instead."""
    result = outcome(call)
    if raised(result, ValueError):
        return None
    return describe_outcome(result)[3:]


def escaped_error_text(error: RemoteError) -> str:
    """Return 'Type: message (at app.py:3)' of a view's error, made safe.

    The name and message are the student's text: each is cut to a few
    words' length and escaped (one line, no terminal escapes), so that a
    report shows them as data.
    """
    name = one_line(error.name)
    if len(name) > ESCAPED_NAME_LIMIT:
        name = name[:ESCAPED_NAME_LIMIT - 3] + "..."
    message = one_line(error.message)
    if len(message) > ESCAPED_MESSAGE_LIMIT:
        message = message[:ESCAPED_MESSAGE_LIMIT - 3] + "..."
    text = "{}: {}".format(name, message) if message else name
    place = one_line(wire.place_text(error.where, error.raised_in))
    return text + place[:2 * ESCAPED_NAME_LIMIT]


class StatusCode(int):
    """An HTTP status code that, in a message, says why the app gave a 500.

    It compares and computes as the number; printed (``str``, ``format``)
    a 500 whose view raised adds ": the view raised Type: message (at
    app.py:3)". The exception comes from the subject, which caught it as
    Flask handled it, never from the body the app wrote; it changes only
    the words of a failure, never a verdict.
    """

    raised: Optional[RemoteError]

    def __new__(cls, code: int,
                raised: Optional[RemoteError] = None) -> "StatusCode":
        """Make the status code, keeping the error that escaped a view."""
        status = super().__new__(cls, code)
        status.raised = raised
        return status

    def __str__(self) -> str:
        """Return the number, and for a 500 what the view raised."""
        if self.raised is None or int(self) != 500:
            return str(int(self))
        return "{}: the view raised {}".format(
            int(self), escaped_error_text(self.raised))

    def __repr__(self) -> str:
        """Return the number alone, as an int shows itself."""
        return repr(int(self))


class Answer:
    """A response of the student's app, as plain data on the judge's side."""

    def __init__(self, record: Any) -> None:
        """Check and keep the status, headers and body the subject sent.

        ``raised`` is the error record of an exception that escaped a view
        (Flask answered 500 for it), or None.
        """
        if not (isinstance(record, dict) and
                type(record.get("status")) is int and
                isinstance(record.get("headers"), list) and
                type(record.get("body")) is bytes and
                all(isinstance(pair, list) and len(pair) == 2 and
                    all(type(part) is str for part in pair)
                    for pair in record["headers"]) and
                (record.get("raised") is None or
                 valid_error(record["raised"]))):
            raise SubjectBroke("the submission broke the grading protocol: "
                               "a malformed HTTP response")
        raised = record.get("raised")
        self.status_code = StatusCode(
            record["status"],
            error_from_record(raised) if raised is not None else None)
        self.headers = Headers([tuple(pair) for pair in record["headers"]])
        self.data = record["body"]

    @property
    def mimetype(self) -> str:
        """Return the media type of the response, without parameters."""
        return self.headers.get("Content-Type", "").split(";")[0].strip() \
            .lower()

    @property
    def content_type(self) -> str:
        """Return the Content-Type header."""
        return self.headers.get("Content-Type", "")

    @property
    def location(self) -> Optional[str]:
        """Return the Location header, if any."""
        return self.headers.get("Location")

    @property
    def is_json(self) -> bool:
        """Tell whether the response says its body is JSON."""
        return self.mimetype == "application/json" or \
            self.mimetype.endswith("+json")

    def get_data(self, as_text: bool = False) -> Any:
        """Return the body, as bytes or as text."""
        return self.data.decode("utf-8", "replace") if as_text else self.data

    def get_json(self, silent: bool = False) -> Any:
        """Return the JSON body, or None (silent) when there is none."""
        if not self.is_json:
            if silent:
                return None
            raise ValueError("the response is not JSON")
        try:
            return json.loads(self.data.decode("utf-8"))
        except ValueError:
            if silent:
                return None
            raise


class Client:
    """A Flask test client of the student's app, living in the subject."""

    def __init__(self, client: Remote, connection: Connection) -> None:
        """Wrap the subject's test client."""
        self._client = client
        self._connection = connection

    def open(self, path: str, method: str = "GET", **options: Any) -> Answer:
        """Send a request; return the response as an Answer."""
        return Answer(self._connection.request(
            "request", self._client, method, path, options,
            doing="{} {}".format(method, path)))

    def get(self, path: str, **options: Any) -> Answer:
        """Send a GET request."""
        return self.open(path, "GET", **options)

    def post(self, path: str, **options: Any) -> Answer:
        """Send a POST request."""
        return self.open(path, "POST", **options)

    def put(self, path: str, **options: Any) -> Answer:
        """Send a PUT request."""
        return self.open(path, "PUT", **options)

    def delete(self, path: str, **options: Any) -> Answer:
        """Send a DELETE request."""
        return self.open(path, "DELETE", **options)


def describe_answer(response: Answer) -> str:
    """Return a response in words: its status and what its body holds.

    An HTML page (Flask's error pages) is named by its title, unless the
    status already says what the view raised.
    """
    text = response.get_data(as_text=True)
    if not text.strip():
        return "{} with an empty body".format(response.status_code)
    try:
        body = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        body = None
    if body is not None:
        if len(body) > 120:
            body = body[:117] + "..."
        return "{} with the JSON {}".format(response.status_code, body)
    if response.status_code.raised is not None:
        return str(response.status_code)  # the page only repeats the 500
    title = re.search(r"<title>([^<]*)</title>", text, re.I)
    if title:
        return "{} with an HTML page titled {}".format(
            response.status_code, short(title.group(1).strip()))
    return "{} with the text {}".format(response.status_code,
                                        short(text, 120))


def send(submission: "Submission", client: Client, method: str, path: str,
         **options: Any) -> Answer:
    """Send a request through a test client; fail naming it if it raises."""
    try:
        return client.open(path, method=method, **options)
    except RemoteError as error:
        pytest.fail("{} {} raised {}".format(method, path, error.describe()),
                    pytrace=False)


def cookies_set(response: Answer) -> Dict[str, str]:
    """Return the cookies a response sets, by name.

    Only the leading name=value pair of each Set-Cookie header is read:
    the attributes after it (HttpOnly, SameSite, Partitioned, ...) are the
    student's choice, and http.cookies refuses a whole header for one
    attribute it does not know. A header without a pair is ignored, as
    browsers do (RFC 6265, section 5.2).
    """
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        pair = header.split(";", 1)[0]
        if "=" not in pair:
            continue
        found.update(parse_cookie(pair).items())
    return found


def read_json(response: Answer) -> Any:
    """Return the body of a response read as JSON, or None if it is not.

    Only step 06's contract fixes the content type (jsonify); the other
    end-points' contracts fix the body, so JSON text is read whatever
    content type it is sent with.
    """
    try:
        return json.loads(response.get_data(as_text=True))
    except ValueError:
        return None


def session_cookie(session_id: Optional[str]) -> Dict[str, str]:
    """Return the headers that send session_id as a cookie (none for None)."""
    if session_id is None:
        return {}
    return {"Cookie": "session_id=" + session_id}


def register_over_http(client: Client, email: str) -> None:
    """Register a user through POST /users, its password made from email."""
    answer = client.post("/users", data={"email": email,
                                         "password": "pass-" + email})
    assert answer.status_code == 200, (
        "setting up: POST /users (step 7) must register {}; it answered "
        "{}".format(email, answer.status_code))


def log_in_over_http(client: Client, email: str) -> str:
    """Register and log in a user through the end-points; return the cookie.

    Going through HTTP, not Auth, is what tells apart an app that shows
    the cookie's user from one that shows whoever logged in last.
    """
    register_over_http(client, email)
    answer = client.post("/sessions", data={"email": email,
                                            "password": "pass-" + email})
    assert answer.status_code == 200, (
        "setting up: POST /sessions (step 11) must log {} in; it answered "
        "{}".format(email, answer.status_code))
    cookies = cookies_set(answer)
    assert cookies.get("session_id"), (
        "setting up: POST /sessions (step 11) must set the cookie "
        "session_id; it set {}".format(short(sorted(cookies))))
    return cookies["session_id"]


@dataclass
class MainOutcome:
    """How a run of main.py ended and what it printed."""

    exit_code: Optional[int]
    stdout: str
    stderr: str
    printed_bytes: int
    seconds: float

    @property
    def timed_out(self) -> bool:
        """Tell whether the run was stopped for taking too long."""
        return self.exit_code is None

    def tail(self, lines: int = 3, limit: int = 300) -> str:
        """Return the last lines main.py printed, errors first, shortened."""
        text = self.stderr if self.stderr.strip() else self.stdout
        text = re.sub(r'File "[^"]*[/\\]([^/\\"]+)"', r'File "\1"', text)
        kept = [line.strip() for line in text.splitlines()
                if line.strip(" \t^~")]
        shown = " | ".join(kept[-lines:])
        if len(shown) > limit:
            shown = "..." + shown[-(limit - 3):]
        return shown or "nothing"


IMPORT_FAILURES = {
    "missing": "{module}.py is missing from the submission",
    "server": "importing {module}.py starts a server ({text}): start it only "
              "under if __name__ == \"__main__\":",
    "syntax": "{text} does not parse",
    "exit": "importing {module}.py exits the program (SystemExit {text})",
    "import": "importing {module}.py raised {text}",
    "request": "importing {module}.py sent a request ({text}) while it was "
               "only being imported: run the sequence only under "
               "if __name__ == \"__main__\":",
    "elsewhere": "'import {module}' found {text} instead of the "
                 "submission's {module}.py",
}


class Submission:
    """A submission, seen from one test: its subject child and working folder.

    ``root`` names the submission folder for messages; ``workdir`` is the
    run's working folder, where a.db lands, as the judge reaches it.
    """

    def __init__(self, connection: Connection, root: Path,
                 workdir: Workdir, judge: Optional[Path] = None) -> None:
        """Drive the subject's child on connection; judge is our folder."""
        self.connection = connection
        self.root = root
        self.workdir = workdir
        self.judge = judge
        # The modules this child imported: importing one again gives the
        # same module (the subject's sys.modules), so it costs no request.
        self._imported: Dict[str, Remote] = {}

    def module(self, name: str) -> Remote:
        """Import and return the submission's module, failing with a reason.

        A module this child imported already is returned as it was.
        An import proved never to finish is remembered in the judge's
        folder, so the other tests of the grading fail at once instead of
        each waiting for it. The proof is the import's own whole limit
        reached: its CPU seconds used up, or the wall-clock backstop
        reached while it waited. A stop that came sooner (the run's time
        was running out) proves nothing about the import. A spliced variant
        runs other code: it has a memory of its own.
        """
        if name in self._imported:
            return self._imported[name]
        hang = None
        if self.judge:
            code = hashlib.sha256(self.connection.variant.encode(
                "utf-8", "replace")).hexdigest()[:16]
            hang = self.judge / "{}-{}.hangs".format(name, code)
        if hang is not None and hang.exists():
            with contextlib.suppress(OSError):
                pytest.fail(hang.read_text("utf-8", "replace")
                            [:MESSAGE_LIMIT], pytrace=False)
        try:
            module = self.connection.request(
                "import", name, seconds=IMPORT_SECONDS,
                doing="importing " + name + ".py")
            self._imported[name] = module
            return module
        except SubjectBroke as broke:
            if hang is not None and self.connection.stopped and \
                    self.connection.full_limit:
                hang.write_text(str(broke), "utf-8")
            raise
        except SubjectFailure as failure:
            template = IMPORT_FAILURES.get(failure.kind)
            if template is None:
                raise
            text = failure.text
            if failure.kind == "syntax":
                return pytest.fail("{} does not parse: {}".format(
                    *text.split(": ", 1)) if ": " in text else text,
                    pytrace=False)
            pytest.fail(template.format(module=name, text=text),
                        pytrace=False)

    def get(self, module_name: str, dotted: str) -> Any:
        """Return an attribute of a module, e.g. ``Auth.valid_login``."""
        value: Any = self.module(module_name)
        owner = module_name + ".py"
        for part in dotted.split("."):
            try:
                value = getattr(value, part)
            except AttributeError:
                pytest.fail("{} has no {}".format(owner, part), pytrace=False)
            except RemoteError as error:
                pytest.fail("reading {} of {} raised {}".format(
                    part, owner, error.describe()), pytrace=False)
            owner = "{} of {}.py".format(part, module_name)
        return value

    def db(self) -> Remote:
        """Return a new DB() of the submission (which empties a.db)."""
        return self._construct("db", "DB")

    def auth(self) -> Remote:
        """Return a new Auth() of the submission (which empties a.db)."""
        return self._construct("auth", "Auth")

    def _construct(self, module_name: str, name: str) -> Remote:
        """Call a class of the submission; fail if the constructor raises."""
        kind = self.get(module_name, name)
        try:
            return kind()
        except RemoteError as error:
            pytest.fail("{}() raised {}".format(name, error.describe()),
                        pytrace=False)

    def app(self) -> Remote:
        """Return the submission's Flask application object."""
        return self.get("app", "app")

    def client(self) -> Client:
        """Return a Flask test client of the submission's app."""
        return Client(self.app().test_client(), self.connection)

    def cookieless_client(self) -> Client:
        """Return a test client that sends only the cookies a request names.

        A client's own cookie jar would otherwise add cookies to a request
        the spec means to send without one.
        """
        return Client(self.app().test_client(use_cookies=False),
                      self.connection)

    def library(self, dotted: str) -> Remote:
        """Return a library object of the subject (see serve.LIBRARY)."""
        return self.connection.request("library", dotted)

    def spy(self, target: Remote, name: str) -> None:
        """Record every call of target.name in the subject from now on."""
        self.connection.request("spy", target, name)

    def calls(self, target: Remote, name: str) -> List[Tuple[Any, ...]]:
        """Return the positional arguments of the calls a spy recorded."""
        recorded = self.connection.request("calls", target, name)
        return [tuple(call[0]) for call in recorded
                if isinstance(call, list) and len(call) == 2 and
                isinstance(call[0], list)]

    def server_starts(self) -> List[Tuple[str, str, str]]:
        """Return the server starts the subject refused or recorded."""
        return [tuple(start) for start in
                self.connection.request("server_starts")
                if isinstance(start, list) and len(start) == 3]

    def run_as_main(self, module_name: str) -> Optional[RemoteError]:
        """Run a module of the submission as __main__; return its error."""
        try:
            error = self.connection.request(
                "run_as_main", module_name,
                doing="running {}.py as __main__".format(module_name))
        except SubjectFailure as failure:
            pytest.fail(IMPORT_FAILURES.get(failure.kind, "{text}").format(
                module=module_name, text=failure.text), pytrace=False)
        if error is None:
            return None
        if not isinstance(error, dict) or not isinstance(
                error.get("types"), list):
            raise SubjectBroke("the submission broke the grading protocol: "
                               "a malformed error record")
        places = [error.get(place) if isinstance(error.get(place), str)
                  else None for place in ("where", "raised_in")]
        vouched = error.get("instance_of")
        return RemoteError([str(name) for name in error["types"]],
                           str(error.get("message", "")), *places,
                           instance_of=[name for name in vouched
                                        if type(name) is str]
                           if isinstance(vouched, list) else ())

    def signature(self, function: Remote) -> Optional[List[Tuple[str, str]]]:
        """Return a function's parameters as (name, kind), or None."""
        found = self.connection.request("signature", function)
        if found is None:
            return None
        if not isinstance(found, list) or not all(
                isinstance(item, list) and len(item) == 2 and
                all(type(part) is str for part in item) for item in found):
            raise SubjectBroke("the submission broke the grading protocol: "
                               "a malformed signature")
        return [(item[0], item[1]) for item in found]

    def run_main(self, seconds: float) -> MainOutcome:
        """Run main.py as __main__ in the subject, in the test's folder."""
        started = time.monotonic()
        try:
            ended = self.connection.request(
                "run_main", "main", seconds=seconds,
                doing="running main.py")
        except SubjectBroke:
            if not self.connection.timed_out:
                raise
            ended = {"exit_code": None, "signal": None}
        if not (isinstance(ended, dict) and
                (ended.get("exit_code") is None or
                 type(ended["exit_code"]) is int)):
            raise SubjectBroke("the submission broke the grading protocol: "
                               "a malformed exit status")
        out = read_scratch_file(self.workdir, "main.out", OUTPUT_LIMIT) or b""
        err = read_scratch_file(self.workdir, "main.err", OUTPUT_LIMIT) or b""
        return MainOutcome(ended["exit_code"],
                           out[-TAIL_BYTES:].decode("utf-8", "replace"),
                           err[-TAIL_BYTES:].decode("utf-8", "replace"),
                           len(out), time.monotonic() - started)

    def database(self) -> Optional[bytes]:
        """Return the bytes of the test's a.db, never following a link."""
        return read_scratch_file(self.workdir, "a.db", DATABASE_LIMIT)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Optional[sqlite3.Connection]]:
        """Open a private, read-only copy of a.db (None when there is none).

        Reads through the student's own session would hide a missing
        commit; a copy keeps SQLite from writing where the subject points.
        The file is the submission's, so it is read as hostile data: see
        guard_database. Whatever goes wrong fails the test with a reason.
        """
        content = self.database()
        if content is None:
            yield None
            return
        with tempfile.TemporaryDirectory(prefix="kata-db-") as folder:
            copy = Path(folder) / "a.db"
            copy.write_bytes(content)
            del content
            connection = sqlite3.connect(
                "file:{}?mode=ro&immutable=1".format(copy), uri=True)
            try:
                with _database_errors():
                    guard_database(connection)
                    problem = users_table_problem(connection)
                if problem:
                    pytest.fail(problem, pytrace=False)
                yield connection
            finally:
                connection.close()

    def rows(self, query: str, parameters: Sequence[Any] = ()) -> List[Any]:
        """Run query on a.db through a new, independent SQLite connection."""
        with self._connect() as connection:
            if connection is None:
                pytest.fail("no a.db was created in the working directory: "
                            "DB() must open the SQLite file a.db",
                            pytrace=False)
            with _database_errors():
                return bounded_rows(connection.execute(
                    query, tuple(parameters)))
        return []  # never reached: pytest.fail raises

    def stored_user(self, email: str) -> Optional[Dict[str, Any]]:
        """Return the committed row of the user with that email, or None."""
        with self._connect() as connection:
            if connection is None:
                return None
            connection.row_factory = sqlite3.Row
            with _database_errors():
                rows = bounded_rows(connection.execute(
                    "SELECT * FROM users WHERE email = ?", (email,)),
                    limit=1)
            return dict(rows[0]) if rows else None
        return None  # never reached: pytest.fail raises


class DatabaseRefused(Exception):
    """Reading a.db went past one of the judge's bounds, said in words."""


def guard_database(connection: sqlite3.Connection) -> None:
    """Bound what reading a.db may cost the judge.

    SQLite's own limits (value length, columns, statement length, depth,
    ...) are set far above what the users table needs; a progress handler
    interrupts a statement after DATABASE_SECONDS or DATABASE_STEPS
    virtual machine steps; the schema is not trusted (no function with
    side effects in a view, trigger or generated column); temporary data
    stays in memory, never in a file of the host, and SQLite's memory in
    this process is capped at DATABASE_HEAP (this judge reads nothing else
    with SQLite). A limit that this Python cannot set is left as it is.
    """
    setlimit = getattr(connection, "setlimit", None)
    if setlimit is not None:
        for name, value in SQLITE_LIMITS:
            category = getattr(sqlite3, name, None)
            if category is not None:
                setlimit(category, value)
    for pragma in ("trusted_schema = OFF", "query_only = ON",
                   "temp_store = MEMORY", "cache_size = -4096",
                   "mmap_size = 0",
                   "hard_heap_limit = {}".format(DATABASE_HEAP)):
        connection.execute("PRAGMA " + pragma).fetchall()
    deadline = time.monotonic() + DATABASE_SECONDS
    steps = [0]

    def over_budget() -> int:
        """Return non-zero, which interrupts SQLite, once over budget."""
        steps[0] += PROGRESS_EVERY
        return int(steps[0] > DATABASE_STEPS or time.monotonic() > deadline)

    connection.set_progress_handler(over_budget, PROGRESS_EVERY)


def users_table_problem(connection: sqlite3.Connection) -> Optional[str]:
    """Say why users in a.db is not a plain table, or return None.

    A view, a virtual table or a trigger computes what it shows, which can
    be anything; the judge reads only what a table stores. A database
    without any users is left to the query, which then fails saying so.
    """
    kinds = {}
    for kind, sql in bounded_rows(connection.execute(
            "SELECT type, sql FROM sqlite_master WHERE name = 'users' "
            "COLLATE NOCASE"), limit=8):
        if kind == "table" and isinstance(sql, str) and re.match(
                r"\s*CREATE\s+VIRTUAL\s", sql, re.I):
            kind = "virtual table"
        kinds[str(kind)] = True
    if not kinds or "table" in kinds:
        return None
    kind = sorted(kinds)[0]
    article = "an" if kind[0] in "aeiou" else "a"
    return "users in a.db is {} {}, not a table: the users must be " \
        "stored in a table".format(article, kind)


def bounded_rows(cursor: sqlite3.Cursor,
                 limit: int = DATABASE_ROWS) -> List[Any]:
    """Return the rows of a cursor, one at a time, within the judge's bounds.

    More than limit rows, or more than DATABASE_BYTES of values in all,
    raises DatabaseRefused: the exercise never needs that much.
    """
    rows: List[Any] = []
    size = 0
    while True:
        row = cursor.fetchone()
        if row is None:
            return rows
        if len(rows) >= limit:
            if limit == 1:
                return rows
            raise DatabaseRefused("a query of users gives more than {} "
                                  "rows".format(limit))
        size += sum(len(value) if isinstance(value, (str, bytes)) else 8
                    for value in tuple(row))
        if size > DATABASE_BYTES:
            raise DatabaseRefused("its values add up to more than {} "
                                  "MB".format(DATABASE_BYTES >> 20))
        rows.append(row)


@contextlib.contextmanager
def _database_errors() -> Iterator[None]:
    """Turn any failure to read a.db into a failed test with its reason."""
    try:
        yield
    except DatabaseRefused as refusal:
        pytest.fail("a.db cannot be read: {}".format(refusal),
                    pytrace=False)
    except sqlite3.OperationalError as error:
        if "interrupt" in str(error):
            pytest.fail("a.db cannot be read: reading it took longer than "
                        "the judge allows ({:.0f} s)".format(
                            DATABASE_SECONDS), pytrace=False)
        pytest.fail("a.db cannot be read: {}".format(error), pytrace=False)
    except (sqlite3.Error, MemoryError, OverflowError,
            ValueError) as error:
        pytest.fail("a.db cannot be read: {}".format(
            str(error) or type(error).__name__), pytrace=False)


def describe_exception(error: BaseException, root: Path = Path(".")) -> str:
    """Return 'Type: message (at file.py:line)' of an error of the subject."""
    if isinstance(error, RemoteError):
        return error.describe()
    return "{}: {}".format(type(error).__name__, error) if str(error) \
        else type(error).__name__


def falsifying_example(error: BaseException) -> str:
    """Return '; failing example: ...' for a failed hypothesis property.

    The fixture argument is left out: it is the same in every example and
    its text changes from run to run.
    """
    for note in getattr(error, "__notes__", []):
        if note.startswith(("Falsifying example", "Failing test case")):
            text = " ".join(note.split())
            text = re.sub(r"submission=<[^>]*>,\s*", "", text)
            return "; failing example: " + text.split(": ", 1)[-1]
    return ""


def explain_failure(excinfo: pytest.ExceptionInfo, root: Path) -> str:
    """Return one readable sentence for a failed check.

    The sentence is the same in every run of the same submission: values
    that change from run to run are shown by their shape.
    """
    error = excinfo.value
    # Hypothesis groups several distinct failures; the first one is enough.
    while getattr(error, "exceptions", None):
        error = error.exceptions[0]
    if isinstance(error, pytest.fail.Exception):
        message = str(error.msg)
    elif isinstance(error, SubjectBroke):
        message = str(error)
    elif isinstance(error, AssertionError) and str(error):
        # Keep the spec's own sentence, not pytest's rewritten comparison.
        message = str(error).split("\nassert ")[0].strip()
    else:
        message = "unexpected " + describe_exception(error, root)
    if isinstance(error, AssertionError):
        message += falsifying_example(error)
    message = without_random_values(message)
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT - 3] + "..."
    return message
