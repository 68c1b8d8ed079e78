#!/usr/bin/env python3
"""Spec of step 14: the DELETE /sessions end-point of app.py (log out)."""
from http.cookies import CookieError, SimpleCookie
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from spec_support import Submission, short

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
MADE_UP_ID = "5f0c6b2e-8d1a-4f3e-9b7c-2a4d6e8f0a1b"


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


def cookie(session_id: Optional[str]) -> Dict[str, str]:
    """Return the headers that send session_id as cookie (none for None)."""
    if session_id is None:
        return {}
    return {"Cookie": "session_id=" + session_id}


def log_out(client: Any, session_id: Optional[str]) -> Any:
    """Send DELETE /sessions with that session cookie; return the answer."""
    return client.delete("/sessions", headers=cookie(session_id))


def has_route(app: Any, path: str, method: str) -> bool:
    """Tell whether the app serves that method on that path."""
    try:
        app.url_map.bind("localhost").match(path, method=method)
    except HTTPException:
        return False
    return True


def test_log_out_redirects_to_the_index(submission: Submission) -> None:
    """A known session cookie is answered by a 302 redirect to /."""
    client = new_client(submission)
    session_id = log_in(client, ALICE)
    answer = log_out(client, session_id)
    assert answer.status_code == 302, (
        "DELETE /sessions with a valid session cookie must log out and "
        "redirect (302) to GET /; it answered {}".format(answer.status_code))
    location = answer.headers.get("Location") or ""
    assert urlsplit(location).path == "/", (
        "DELETE /sessions must redirect to the index, GET / (Location "
        "ending in /); its Location is {}".format(short(location)))


def test_old_session_no_longer_works(submission: Submission) -> None:
    """After logging out, the old session id is refused everywhere."""
    client = new_client(submission)
    session_id = log_in(client, ALICE)
    first = log_out(client, session_id)
    assert first.status_code == 302, (
        "DELETE /sessions with a valid session cookie must answer 302; it "
        "answered {}".format(first.status_code))
    again = log_out(client, session_id)
    assert again.status_code == 403, (
        "after logging out, DELETE /sessions with the old session cookie "
        "must answer 403; it answered {}: the session is still alive, so a "
        "stolen cookie keeps working after its owner logged out".format(
            again.status_code))
    if has_route(submission.app(), "/profile", "GET"):
        profile = client.get("/profile", headers=cookie(session_id))
        assert profile.status_code == 403, (
            "after logging out, GET /profile with the old session cookie "
            "must answer 403; it answered {}: the session is still "
            "alive".format(profile.status_code))


def test_other_users_stay_logged_in(submission: Submission) -> None:
    """Logging one user out leaves another user's session alive."""
    client = new_client(submission)
    alice = log_in(client, ALICE)
    bob = log_in(client, BOB)
    log_out(client, alice)
    row = submission.stored_user(BOB)
    kept = row and row["session_id"]
    assert kept == bob, (
        "logging {} out must leave the session of {} alone; its session_id "
        "in a.db changed from {} to {}".format(ALICE, BOB, short(bob),
                                               short(kept)))


@pytest.mark.parametrize("session_id", [None, MADE_UP_ID],
                         ids=["missing", "unknown"])
def test_unknown_or_missing_cookie_is_refused(
        submission: Submission, session_id: Optional[str]) -> None:
    """Without a known session cookie the answer is 403, nobody logs out."""
    client = new_client(submission)
    register(client, CAROL)
    alice = log_in(client, ALICE)
    answer = log_out(client, session_id)
    what = ("without a session_id cookie" if session_id is None
            else "with a session_id cookie that no user holds")
    assert answer.status_code == 403, (
        "DELETE /sessions {} must answer 403 (abort(403)); it answered "
        "{}".format(what, answer.status_code))
    row = submission.stored_user(ALICE)
    kept = row and row["session_id"]
    assert kept == alice, (
        "DELETE /sessions {} must end nobody's session; the session_id of "
        "{} in a.db changed from {} to {}".format(
            what, ALICE, short(alice), short(kept)))
