#!/usr/bin/env python3
"""Spec of step 15: the GET /profile end-point of app.py."""
import string
from http.cookies import CookieError, SimpleCookie
from typing import Any, Dict, Optional

from hypothesis import assume, example, given, strategies as st

from spec_support import Submission, short

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
MADE_UP_ID = "5f0c6b2e-8d1a-4f3e-9b7c-2a4d6e8f0a1b"
COOKIE_CHARACTERS = string.ascii_letters + string.digits + "-"


def new_client(submission: Submission) -> Any:
    """Return a test client that sends only the cookies a request names."""
    return submission.app().test_client(use_cookies=False)


def register(client: Any, email: str) -> None:
    """Register a user through POST /users."""
    answer = client.post("/users", data={"email": email,
                                         "password": "pass-" + email})
    assert answer.status_code == 200, (
        "setting up: POST /users (step 7) must register {}; it answered "
        "{}".format(email, answer.status_code))


def log_in(client: Any, email: str) -> str:
    """Register and log in a user through the end-points; return the cookie."""
    register(client, email)
    answer = client.post("/sessions", data={"email": email,
                                            "password": "pass-" + email})
    assert answer.status_code == 200, (
        "setting up: POST /sessions (step 11) must log {} in; it answered "
        "{}".format(email, answer.status_code))
    cookies: Dict[str, str] = {}
    for header in answer.headers.getlist("Set-Cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        cookies.update({key: morsel.value for key, morsel in jar.items()})
    assert cookies.get("session_id"), (
        "setting up: POST /sessions (step 11) must set the cookie "
        "session_id; it set {}".format(short(sorted(cookies))))
    return cookies["session_id"]


def profile(client: Any, session_id: Optional[str]) -> Any:
    """Send GET /profile with that session cookie (none for None)."""
    headers: Dict[str, str] = {}
    if session_id is not None:
        headers["Cookie"] = "session_id=" + session_id
    return client.get("/profile", headers=headers)


def shown(answer: Any) -> str:
    """Return the answer's status and JSON body, for a failure message."""
    body = answer.get_json(silent=True)
    if body is None:
        return str(answer.status_code)
    return "{} with {}".format(answer.status_code, short(body))


def test_profile_shows_the_email_of_the_cookies_user(
        submission: Submission) -> None:
    """Each session cookie shows the email of the user who holds it."""
    client = new_client(submission)
    sessions = {ALICE: log_in(client, ALICE), BOB: log_in(client, BOB)}
    for email, session_id in sessions.items():
        answer = profile(client, session_id)
        assert answer.status_code == 200, (
            "GET /profile with the session cookie of {} must answer 200; it "
            "answered {}".format(email, shown(answer)))
        body = answer.get_json(silent=True)
        assert body == {"email": email}, (
            "with two users logged in, GET /profile with the session cookie "
            "of {} must answer the JSON {}; it answered {}".format(
                email, short({"email": email}), short(body)))


def test_profile_without_cookie_is_forbidden(submission: Submission) -> None:
    """No session cookie, no profile: 403, though users have no session."""
    client = new_client(submission)
    register(client, CAROL)
    log_in(client, ALICE)
    answer = profile(client, None)
    body = answer.get_json(silent=True)
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
    client = new_client(submission)
    register(client, CAROL)
    real = log_in(client, ALICE)

    # GET /profile changes nothing, so every example shares one app.
    @given(session_id=st.one_of(
        st.uuids().map(str),
        st.text(alphabet=COOKIE_CHARACTERS, min_size=1, max_size=40)))
    @example(session_id=MADE_UP_ID)
    def check(session_id: str) -> None:
        """Ask for the profile with one made-up session id."""
        assume(session_id != real)
        answer = profile(client, session_id)
        assert answer.status_code == 403, (
            "GET /profile with a session_id cookie that no user holds ({}) "
            "must answer 403; it answered {}".format(
                short(session_id), shown(answer)))

    check()
