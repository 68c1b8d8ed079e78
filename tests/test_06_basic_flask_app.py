#!/usr/bin/env python3
"""Spec of step 06: app.py holds a Flask app whose GET / greets in JSON.

No test of this spec may start a real server: the subject replaces every
way of starting one by a stand-in that records the call. While app.py is
imported a start raises, so a submission that serves at import time is
reported instead of hanging the spec; only the test that runs app.py as a
program lets app.run return.
"""
import json
from typing import Tuple

import flask
import pytest

from spec_support import Answer, Submission, is_instance, send, short

GREETING = {"message": "Bienvenue"}
# The texts of a port of 5000 that app.run or run_simple accepts.
PORT_5000 = ("5000", "'5000'", '"5000"')

# One recorded server start: (what was called, repr(host), repr(port)).
Start = Tuple[str, str, str]


def describe_start(start: Start) -> str:
    """Return a recorded server start the way the student's code reads."""
    what, host, port = start
    return "{}(host={}, port={})".format(what, host, port)


def get_index(submission: Submission) -> Answer:
    """Return the response of the submission's app to GET /."""
    return send(submission, submission.client(), "GET", "/")


def test_app_is_a_flask_application(submission: Submission) -> None:
    """app.py defines app, a Flask application object."""
    app = submission.app()
    assert is_instance(app, flask.Flask), (
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


def test_importing_app_starts_no_server(submission: Submission) -> None:
    """Importing app.py builds the app but never starts a server."""
    try:
        submission.module("app")
    except pytest.fail.Exception:
        if not submission.server_starts():
            raise
    starts = submission.server_starts()
    assert not starts, (
        "importing app.py must not start a server, yet it calls {}: a "
        "program that imports app would hang there; keep app.run under "
        "if __name__ == \"__main__\":".format(describe_start(starts[0])))


def test_main_runs_on_all_interfaces_port_5000(
        submission: Submission) -> None:
    """Run as a program, app.py runs the app on host 0.0.0.0, port 5000."""
    submission.module("app")
    # A start during the import is test_importing_app_starts_no_server's.
    before = len(submission.server_starts())
    error = submission.run_as_main("app")
    if error is not None:
        if error.types and error.types[0] == "kata.ServerStarted":
            pytest.fail("{} was called: use app.run under if __name__ == "
                        "\"__main__\":".format(error.message),
                        pytrace=False)
        if error.name == "SystemExit":
            pytest.fail("python3 app.py exits the program (SystemExit {}) "
                        "instead of running the app".format(error.message),
                        pytrace=False)
        pytest.fail("python3 app.py raised {}".format(error.describe()),
                    pytrace=False)
    starts = submission.server_starts()[before:]
    assert starts, (
        "python3 app.py must run the app (app.run(host=\"0.0.0.0\", "
        "port=5000) under if __name__ == \"__main__\":); it starts no "
        "server")
    what, host, port = starts[0]
    assert host in ("'0.0.0.0'", '"0.0.0.0"'), (
        "python3 app.py must run the app on host \"0.0.0.0\" (every "
        "interface); it calls {}".format(describe_start(starts[0])))
    default = port == "None" and what == "app.run"
    assert default or port in PORT_5000, (
        "python3 app.py must run the app on port 5000; it calls {}".format(
            describe_start(starts[0])))
