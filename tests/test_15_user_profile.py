#!/usr/bin/env python3
"""Spec of step 15: the GET /profile end-point of app.py."""
import string
from typing import Optional

from hypothesis import assume, example, given, strategies as st

from spec_support import (Answer, Client, Submission, log_in_over_http,
                          read_json, register_over_http, send,
                          session_cookie, short)

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
MADE_UP_ID = "5f0c6b2e-8d1a-4f3e-9b7c-2a4d6e8f0a1b"
COOKIE_CHARACTERS = string.ascii_letters + string.digits + "-"


def profile(submission: Submission, client: Client,
            session_id: Optional[str]) -> Answer:
    """Send GET /profile with that session cookie (none for None)."""
    return send(submission, client, "GET", "/profile",
                headers=session_cookie(session_id))


def shown(answer: Answer) -> str:
    """Return the answer's status and JSON body, for a failure message."""
    body = read_json(answer)
    if body is None:
        return str(answer.status_code)
    return "{} with {}".format(answer.status_code, short(body))


def test_profile_shows_the_email_of_the_cookies_user(
        submission: Submission) -> None:
    """Each session cookie shows the email of the user who holds it."""
    client = submission.cookieless_client()
    sessions = {ALICE: log_in_over_http(client, ALICE),
                BOB: log_in_over_http(client, BOB)}
    for email, session_id in sessions.items():
        answer = profile(submission, client, session_id)
        assert answer.status_code == 200, (
            "GET /profile with the session cookie of {} must answer 200; it "
            "answered {}".format(email, shown(answer)))
        body = read_json(answer)
        assert body == {"email": email}, (
            "with two users logged in, GET /profile with the session cookie "
            "of {} must answer the JSON {}; it answered {}".format(
                email, short({"email": email}), short(body)))


def test_profile_without_cookie_is_forbidden(submission: Submission) -> None:
    """No session cookie, no profile: 403, though users have no session."""
    client = submission.cookieless_client()
    register_over_http(client, CAROL)
    log_in_over_http(client, ALICE)
    answer = profile(submission, client, None)
    body = read_json(answer)
    if isinstance(body, dict) and body.get("email"):
        danger = ("anyone sending no cookie is shown the account of {}, "
                  "an account takeover".format(short(body["email"])))
    else:
        danger = "a visitor who is not logged in must be refused"
    assert answer.status_code == 403, (
        "GET /profile without a session_id cookie must answer 403 "
        "(abort(403)); it answered {}: {}".format(shown(answer), danger))


def test_profile_with_unknown_cookie_is_forbidden(
        submission: Submission) -> None:
    """A session id that nobody holds is answered with 403."""
    client = submission.cookieless_client()
    register_over_http(client, CAROL)
    real = log_in_over_http(client, ALICE)

    # GET /profile changes nothing, so every example shares one app.
    @given(session_id=st.one_of(
        st.uuids().map(str),
        st.text(alphabet=COOKIE_CHARACTERS, min_size=1, max_size=40)))
    @example(session_id=MADE_UP_ID)
    def check(session_id: str) -> None:
        """Ask for the profile with one made-up session id."""
        assume(session_id != real)
        answer = profile(submission, client, session_id)
        assert answer.status_code == 403, (
            "GET /profile with a session_id cookie that no user holds ({}) "
            "must answer 403; it answered {}".format(
                short(session_id), shown(answer)))

    check()
