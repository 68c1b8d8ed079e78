#!/usr/bin/env python3
"""What the step specs share: loading a submission and explaining failures.

A spec never imports student code at the top of the file (a broken submission
would then fail to collect, "0 items", instead of failing with a reason). It
asks the ``submission`` fixture, which returns a ``Submission``: its methods
import the student's modules fresh and turn a missing file, class or method
into a failure that names it.
"""
import contextlib
import importlib
import re
import sqlite3
import sys
import traceback
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from types import ModuleType
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple)

import pytest

STUDENT_MODULES = ("user", "db", "auth", "app", "main")
MESSAGE_LIMIT = 700


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
    """Return ('returned', value) or ('raised', error) for the call."""
    try:
        return "returned", call()
    except Exception as error:  # the spec reports whatever was raised
        return "raised", error


def describe_outcome(result: Tuple[str, Any]) -> str:
    """Return what a call did, in words, for a failure message."""
    kind, value = result
    if kind == "raised":
        return "it raised {}: {}".format(type(value).__name__,
                                         short(str(value)))
    if hasattr(value, "id") and hasattr(value, "email"):
        return "it returned user {} ({})".format(value.id, value.email)
    return "it returned {}".format(short(value))


def unless_value_error(call: Callable[[], Any]) -> Optional[str]:
    """Return None if the call raises ValueError, else what it did instead."""
    kind, value = outcome(call)
    if kind == "raised" and isinstance(value, ValueError):
        return None
    return describe_outcome((kind, value))[3:]


def send(submission: "Submission", client: Any, method: str, path: str,
         **options: Any) -> Any:
    """Send a request through a test client; fail naming it if it raises."""
    try:
        return client.open(path, method=method, **options)
    except Exception as error:  # any error of student code is a finding
        pytest.fail("{} {} raised {}".format(
            method, path, describe_exception(error, submission.root)),
            pytrace=False)


def cookies_set(response: Any) -> Dict[str, str]:
    """Return the cookies a response sets, by name."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        found.update({name: morsel.value for name, morsel in jar.items()})
    return found


def session_cookie(session_id: Optional[str]) -> Dict[str, str]:
    """Return the headers that send session_id as a cookie (none for None)."""
    if session_id is None:
        return {}
    return {"Cookie": "session_id=" + session_id}


def register_over_http(client: Any, email: str) -> None:
    """Register a user through POST /users, its password made from email."""
    answer = client.post("/users", data={"email": email,
                                         "password": "pass-" + email})
    assert answer.status_code == 200, (
        "setting up: POST /users (step 7) must register {}; it answered "
        "{}".format(email, answer.status_code))


def log_in_over_http(client: Any, email: str) -> str:
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


class Submission:
    """A submission folder, seen from one test in its own working directory."""

    def __init__(self, root: Path, workdir: Path) -> None:
        """Remember where the submission is and where the test runs."""
        self.root = root
        self.workdir = workdir

    @contextlib.contextmanager
    def imports(self) -> Iterator[None]:
        """Make the submission importable, fresh, for the duration."""
        _forget_student_modules()
        sys.path.insert(0, str(self.root))
        importlib.invalidate_caches()
        try:
            yield
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(self.root))
            _forget_student_modules()

    def module(self, name: str) -> ModuleType:
        """Import and return the submission's module, failing with a reason."""
        path = self.root / (name + ".py")
        if not path.is_file():
            pytest.fail("{}.py is missing from the submission".format(name),
                        pytrace=False)
        if name in sys.modules:
            return sys.modules[name]
        try:
            with _no_server_starts(name):
                module = importlib.import_module(name)
        except ServerStartedAtImport as error:
            pytest.fail(str(error), pytrace=False)
        except SyntaxError as error:
            where = " at line {}".format(error.lineno) if error.lineno else ""
            pytest.fail("{} does not parse: {}{}".format(
                Path(error.filename or path).name, error.msg, where),
                pytrace=False)
        except SystemExit as error:
            pytest.fail("importing {}.py exits the program (SystemExit {})"
                        .format(name, short(error.code)), pytrace=False)
        except Exception as error:  # any error of student code is a finding
            pytest.fail("importing {}.py raised {}".format(
                name, describe_exception(error, self.root)), pytrace=False)
        origin = Path(getattr(module, "__file__", "") or "").resolve()
        if origin.parent != self.root.resolve():
            pytest.fail("'import {}' found {} instead of the submission's "
                        "{}.py".format(name, origin, name), pytrace=False)
        return module

    def get(self, module_name: str, dotted: str) -> Any:
        """Return an attribute of a module, e.g. ``Auth.valid_login``."""
        value: Any = self.module(module_name)
        owner = module_name + ".py"
        for part in dotted.split("."):
            if not hasattr(value, part):
                pytest.fail("{} has no {}".format(owner, part), pytrace=False)
            value = getattr(value, part)
            owner = "{} of {}.py".format(part, module_name)
        return value

    def db(self) -> Any:
        """Return a new DB() of the submission (which empties a.db)."""
        return self.get("db", "DB")()

    def auth(self) -> Any:
        """Return a new Auth() of the submission (which empties a.db)."""
        return self.get("auth", "Auth")()

    def app(self) -> Any:
        """Return the submission's Flask application object."""
        return self.get("app", "app")

    def client(self) -> Any:
        """Return a Flask test client of the submission's app."""
        return self.app().test_client()

    def cookieless_client(self) -> Any:
        """Return a test client that sends only the cookies a request names.

        A client's own cookie jar would otherwise add cookies to a request
        the spec means to send without one.
        """
        return self.app().test_client(use_cookies=False)

    def rows(self, query: str, parameters: Sequence[Any] = ()) -> List[Any]:
        """Run query on a.db through a new, independent SQLite connection.

        Reads through the student's own session would hide a missing commit.
        """
        database = self.workdir / "a.db"
        if not database.is_file():
            pytest.fail("no a.db was created in the working directory: DB() "
                        "must open the SQLite file a.db", pytrace=False)
        connection = sqlite3.connect(str(database))
        try:
            return connection.execute(query, tuple(parameters)).fetchall()
        finally:
            connection.close()

    def stored_user(self, email: str) -> Optional[Dict[str, Any]]:
        """Return the committed row of the user with that email, or None."""
        database = self.workdir / "a.db"
        if not database.is_file():
            return None
        connection = sqlite3.connect(str(database))
        connection.row_factory = sqlite3.Row
        try:
            row = connection.execute(
                "SELECT * FROM users WHERE email = ?", (email,)).fetchone()
        except sqlite3.Error as error:
            pytest.fail("a.db cannot be read: {}".format(error), pytrace=False)
        finally:
            connection.close()
        return dict(row) if row is not None else None


class ServerStartedAtImport(Exception):
    """Raised in place of starting a server while a module is imported."""


@contextlib.contextmanager
def _no_server_starts(module_name: str) -> Iterator[None]:
    """Make every way of starting a server raise during an import.

    A module that serves when imported would otherwise hang the spec until
    its time limit; this way the student reads why at once.
    """
    import flask
    import werkzeug.serving

    def refuse(*args: Any, **kwargs: Any) -> None:
        """Refuse to serve, saying where the call belongs."""
        raise ServerStartedAtImport(
            "importing {}.py starts a server: start it only under "
            "if __name__ == \"__main__\":".format(module_name))

    saved = (flask.Flask.run, werkzeug.serving.run_simple,
             werkzeug.serving.make_server)
    flask.Flask.run = refuse
    werkzeug.serving.run_simple = refuse
    werkzeug.serving.make_server = refuse
    try:
        yield
    finally:
        (flask.Flask.run, werkzeug.serving.run_simple,
         werkzeug.serving.make_server) = saved


def _forget_student_modules() -> None:
    """Remove the student's modules from the import cache."""
    for name in STUDENT_MODULES:
        sys.modules.pop(name, None)


def describe_exception(error: BaseException, root: Path) -> str:
    """Return 'Type: message (at file.py:line)', the line in the submission."""
    text = "{}: {}".format(type(error).__name__, error) if str(error) \
        else type(error).__name__
    where = None
    for frame in traceback.extract_tb(error.__traceback__):
        try:
            inside = Path(frame.filename).resolve().parent == root.resolve()
        except (OSError, ValueError):
            inside = False
        if inside:
            where = "{}:{}".format(Path(frame.filename).name, frame.lineno)
    return text + (" (at {})".format(where) if where else "")


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
    """Return one readable sentence for a failed check."""
    error = excinfo.value
    # Hypothesis groups several distinct failures; the first one is enough.
    while getattr(error, "exceptions", None):
        error = error.exceptions[0]
    if isinstance(error, pytest.fail.Exception):
        message = str(error.msg)
    elif isinstance(error, AssertionError) and str(error):
        # Keep the spec's own sentence, not pytest's rewritten comparison.
        message = str(error).split("\nassert ")[0].strip()
    else:
        message = "unexpected " + describe_exception(error, root)
    if isinstance(error, AssertionError):
        message += falsifying_example(error)
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT - 3] + "..."
    return message
