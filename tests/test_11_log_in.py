#!/usr/bin/env python3
"""Spec of step 11: POST /sessions logs a user in and sets a session cookie."""
from typing import Any, Tuple

import pytest

from spec_support import (Answer, Client, Remote, RemoteError, Submission,
                          cookies_set, read_json, send, short)

EMAIL = "bob@example.com"
OTHER_EMAIL = "alice@example.com"
PASSWORD = "MyPwdOfBob"


def service(submission: Submission,
            *emails: str) -> Tuple[Client, Remote]:
    """Return a test client of the app and its AUTH, emails registered."""
    client = submission.client()
    auth = submission.get("app", "AUTH")
    register = submission.get("app", "AUTH.register_user")
    for email in emails:
        try:
            register(email, PASSWORD)
        except RemoteError as error:
            pytest.fail("setting up: AUTH.register_user({!r}, ...) (step 5) "
                        "raised {}".format(email, error.describe()),
                        pytrace=False)
    return client, auth


def log_in(submission: Submission, client: Client, email: str,
           password: str) -> Answer:
    """POST the form fields email and password to /sessions."""
    return send(submission, client, "POST", "/sessions",
                data={"email": email, "password": password})


def session_cookie(response: Answer) -> str:
    """Return the value of the session_id cookie the response sets."""
    found = cookies_set(response)
    if not found:
        pytest.fail("a successful POST /sessions must set a cookie named "
                    "session_id (response.set_cookie); the response sets no "
                    "cookie", pytrace=False)
    if "session_id" not in found:
        pytest.fail("a successful POST /sessions must set a cookie named "
                    "session_id; the response sets only {}".format(
                        ", ".join(sorted(found))), pytrace=False)
    return found["session_id"]


def logged_in(submission: Submission, client: Client, email: str) -> str:
    """Log in with the right password and return the session_id cookie."""
    response = log_in(submission, client, email, PASSWORD)
    assert response.status_code == 200, (
        "POST /sessions with a registered email and its password must "
        "answer 200; it answered {}".format(response.status_code))
    return session_cookie(response)


def stored_session(submission: Submission, email: str) -> Any:
    """Return the session_id committed in a.db for the email's user."""
    row = submission.stored_user(email)
    assert row is not None, (
        "the user {} registered through AUTH is not in a.db".format(email))
    return row["session_id"]


def test_right_credentials_answer_200(submission: Submission) -> None:
    """The right email and password answer 200 with the logged in JSON."""
    client, _ = service(submission, EMAIL)
    response = log_in(submission, client, EMAIL, PASSWORD)
    assert response.status_code == 200, (
        "POST /sessions with a registered email and its password must "
        "answer 200; it answered {}".format(response.status_code))
    expected = {"email": EMAIL, "message": "logged in"}
    body = read_json(response)
    assert body == expected, (
        "POST /sessions with the right credentials must answer the JSON "
        "{}; it answered {}".format(expected, short(
            body if body is not None else response.get_data(as_text=True))))


def test_cookie_holds_the_stored_session(submission: Submission) -> None:
    """The session_id cookie is the session id saved for that user."""
    client, _ = service(submission, OTHER_EMAIL, EMAIL)
    cookie = logged_in(submission, client, EMAIL)
    stored = stored_session(submission, EMAIL)
    assert stored is not None and cookie == stored, (
        "the session_id cookie must hold the session id that create_session "
        "saved for {}; the cookie is {} and a.db holds {}".format(
            EMAIL, short(cookie), short(stored)))
    other = stored_session(submission, OTHER_EMAIL)
    assert other is None, (
        "logging in as {} must not give {} a session; it now has session_id "
        "{}".format(EMAIL, OTHER_EMAIL, short(other)))


def test_each_login_starts_a_new_session(submission: Submission) -> None:
    """Logging in again hands out a new session id."""
    client, _ = service(submission, EMAIL)
    first = logged_in(submission, client, EMAIL)
    second = logged_in(submission, client, EMAIL)
    assert first != second, (
        "each POST /sessions must start a new session; two logins of {} "
        "both set session_id {}".format(EMAIL, short(first)))


def test_wrong_password_answers_401(submission: Submission) -> None:
    """A wrong password answers 401 and sets no session cookie."""
    client, _ = service(submission, EMAIL)
    response = log_in(submission, client, EMAIL, "not" + PASSWORD)
    if response.status_code == 200:
        pytest.fail("POST /sessions with a wrong password must answer 401; "
                    "it answered 200, so anyone who knows an email could log "
                    "in as that user without the password: an account "
                    "takeover", pytrace=False)
    assert response.status_code == 401, (
        "POST /sessions with a wrong password must answer 401 "
        "(abort(401)); it answered {}".format(response.status_code))
    assert "session_id" not in cookies_set(response), (
        "POST /sessions with a wrong password must not set a session_id "
        "cookie, or the attacker is logged in after all")
    assert stored_session(submission, EMAIL) is None, (
        "POST /sessions with a wrong password must not create a session; "
        "a.db now holds a session_id for {}".format(EMAIL))


def test_unknown_email_answers_401(submission: Submission) -> None:
    """An email nobody registered answers 401 too."""
    client, _ = service(submission, EMAIL)
    response = log_in(submission, client, "nobody@example.com", PASSWORD)
    assert response.status_code == 401, (
        "POST /sessions with an email nobody registered must answer 401 "
        "(abort(401)); it answered {}".format(response.status_code))
    assert "session_id" not in cookies_set(response), (
        "POST /sessions with an unknown email must not set a session_id "
        "cookie")
