#!/usr/bin/env python3
"""Spec of step 06: app.py holds a Flask app whose GET / greets in JSON.

No test of this spec may start a real server: every way of starting one is
replaced by a stand-in that records the call and raises ServerStarted (only
the test that runs app.py as a program lets it return), so a submission that
serves at import time is reported instead of hanging the spec.
"""
import json
import runpy
from typing import Any, List, Optional, Tuple

import flask
import pytest
import werkzeug.serving

from spec_support import Submission, describe_exception, send, short

GREETING = {"message": "Bienvenue"}

# One recorded server start: (what was called, host, port).
Start = Tuple[str, Any, Any]


class ServerStarted(Exception):
    """Raised in place of a server start during an import of app.py."""


class ServerStandIn:
    """Stand-ins for app.run, run_simple and make_server that record."""

    def __init__(self, raising: bool) -> None:
        """Start with no call recorded; raise on each call if raising."""
        self.raising = raising
        self.starts: List[Start] = []

    def record(self, what: str, host: Any, port: Any) -> None:
        """Record one server start and raise ServerStarted if asked to."""
        self.starts.append((what, host, port))
        if self.raising:
            raise ServerStarted(
                "{} was called while app.py was imported: start the server "
                "only under if __name__ == \"__main__\":".format(
                    describe_start(self.starts[-1])))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Put the stand-ins in place of the real server starters."""
        def run(app: Any, host: Optional[str] = None,
                port: Optional[int] = None, debug: Optional[bool] = None,
                load_dotenv: bool = True, **options: Any) -> None:
            """Record a call of Flask.run instead of serving."""
            self.record("app.run", host, port)

        def run_simple(hostname: str, port: int, application: Any,
                       *args: Any, **kwargs: Any) -> None:
            """Record a call of werkzeug's run_simple instead of serving."""
            self.record("run_simple", hostname, port)

        def make_server(host: str, port: int, app: Any, *args: Any,
                        **kwargs: Any) -> None:
            """Refuse to build a real server: a spec never serves."""
            self.starts.append(("make_server", host, port))
            raise ServerStarted("make_server({!r}, {!r}, ...) was called: "
                                "use app.run under if __name__ == "
                                "\"__main__\":".format(host, port))

        monkeypatch.setattr(flask.Flask, "run", run)
        monkeypatch.setattr(werkzeug.serving, "run_simple", run_simple)
        monkeypatch.setattr(werkzeug.serving, "make_server", make_server)


def describe_start(start: Start) -> str:
    """Return a recorded server start the way the student's code reads."""
    what, host, port = start
    return "{}(host={!r}, port={!r})".format(what, host, port)


@pytest.fixture(autouse=True)
def no_server(monkeypatch: pytest.MonkeyPatch) -> ServerStandIn:
    """Make every server start during the test raise instead of serving."""
    stand_in = ServerStandIn(raising=True)
    stand_in.install(monkeypatch)
    return stand_in


def get_index(submission: Submission) -> Any:
    """Return the response of the submission's app to GET /."""
    return send(submission, submission.client(), "GET", "/")


def test_app_is_a_flask_application(submission: Submission) -> None:
    """app.py defines app, a Flask application object."""
    app = submission.app()
    assert isinstance(app, flask.Flask), (
        "app in app.py must be a Flask application (app = Flask(__name__)); "
        "it is {}".format(short(app)))


def test_index_answers_200(submission: Submission) -> None:
    """GET / answers 200."""
    response = get_index(submission)
    assert response.status_code == 200, (
        "GET / must answer 200; it answered {}".format(response.status_code))


def test_index_body_is_the_greeting(submission: Submission) -> None:
    """GET / answers the JSON object {"message": "Bienvenue"}."""
    response = get_index(submission)
    text = response.get_data(as_text=True)
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    assert body == GREETING, (
        "GET / must answer the JSON {}; it answered {}".format(
            json.dumps(GREETING), short(text)))


def test_index_content_type_is_json(submission: Submission) -> None:
    """GET / says its body is JSON, as jsonify does."""
    response = get_index(submission)
    assert response.mimetype == "application/json", (
        "GET / must answer with content type application/json (build the "
        "answer with jsonify); its content type is {}".format(
            short(response.content_type)))


def test_importing_app_starts_no_server(submission: Submission,
                                        no_server: ServerStandIn) -> None:
    """Importing app.py builds the app but never starts a server."""
    try:
        submission.module("app")
    except pytest.fail.Exception:
        if not no_server.starts:
            raise
    assert not no_server.starts, (
        "importing app.py must not start a server, yet it calls {}: a "
        "program that imports app would hang there; keep app.run under "
        "if __name__ == \"__main__\":".format(
            describe_start(no_server.starts[0])))


def test_main_runs_on_all_interfaces_port_5000(
        submission: Submission, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as a program, app.py runs the app on host 0.0.0.0, port 5000."""
    stand_in = ServerStandIn(raising=False)
    stand_in.install(monkeypatch)
    submission.module("app")
    # A start during the import is test_importing_app_starts_no_server's.
    stand_in.starts.clear()
    try:
        runpy.run_path(str(submission.root / "app.py"), run_name="__main__")
    except ServerStarted as error:
        pytest.fail(str(error), pytrace=False)
    except SystemExit as error:
        pytest.fail("python3 app.py exits the program (SystemExit {}) "
                    "instead of running the app".format(short(error.code)),
                    pytrace=False)
    except Exception as error:  # any error of student code is a finding
        pytest.fail("python3 app.py raised {}".format(
            describe_exception(error, submission.root)), pytrace=False)
    assert stand_in.starts, (
        "python3 app.py must run the app (app.run(host=\"0.0.0.0\", "
        "port=5000) under if __name__ == \"__main__\":); it starts no "
        "server")
    what, host, port = stand_in.starts[0]
    assert host == "0.0.0.0", (
        "python3 app.py must run the app on host \"0.0.0.0\" (every "
        "interface); it calls {}".format(describe_start(stand_in.starts[0])))
    effective = 5000 if port is None and what == "app.run" else port
    assert str(effective) == "5000", (
        "python3 app.py must run the app on port 5000; it calls {}".format(
            describe_start(stand_in.starts[0])))
