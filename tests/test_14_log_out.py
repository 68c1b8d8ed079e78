#!/usr/bin/env python3
"""Spec of step 14: the DELETE /sessions end-point of app.py (log out)."""
from typing import Optional
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from spec_support import (Answer, Client, Remote, RemoteError, Submission,
                          log_in_over_http, register_over_http, send,
                          session_cookie, short)

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
MADE_UP_ID = "5f0c6b2e-8d1a-4f3e-9b7c-2a4d6e8f0a1b"


def log_out(submission: Submission, client: Client,
            session_id: Optional[str]) -> Answer:
    """Send DELETE /sessions with that session cookie; return the answer."""
    return send(submission, client, "DELETE", "/sessions",
                headers=session_cookie(session_id))


def has_route(app: Remote, path: str, method: str) -> bool:
    """Tell whether the app serves that method on that path."""
    try:
        app.url_map.bind("localhost").match(path, method=method)
    except RemoteError as error:
        if error.is_a(HTTPException):
            return False
        raise
    return True


def test_log_out_redirects_to_the_index(submission: Submission) -> None:
    """A known session cookie is answered by a 302 redirect to /."""
    client = submission.cookieless_client()
    session_id = log_in_over_http(client, ALICE)
    answer = log_out(submission, client, session_id)
    assert answer.status_code == 302, (
        "DELETE /sessions with a valid session cookie must log out and "
        "redirect (302) to GET /; it answered {}".format(answer.status_code))
    location = answer.headers.get("Location") or ""
    assert urlsplit(location).path == "/", (
        "DELETE /sessions must redirect to the index, GET / (Location "
        "ending in /); its Location is {}".format(short(location)))


def test_old_session_no_longer_works(submission: Submission) -> None:
    """After logging out, the old session id is refused everywhere."""
    client = submission.cookieless_client()
    session_id = log_in_over_http(client, ALICE)
    first = log_out(submission, client, session_id)
    assert first.status_code == 302, (
        "DELETE /sessions with a valid session cookie must answer 302; it "
        "answered {}".format(first.status_code))
    again = log_out(submission, client, session_id)
    assert again.status_code == 403, (
        "after logging out, DELETE /sessions with the old session cookie "
        "must answer 403; it answered {}: the session is still alive, so a "
        "stolen cookie keeps working after its owner logged out".format(
            again.status_code))
    if has_route(submission.app(), "/profile", "GET"):
        profile = send(submission, client, "GET", "/profile",
                       headers=session_cookie(session_id))
        assert profile.status_code == 403, (
            "after logging out, GET /profile with the old session cookie "
            "must answer 403; it answered {}: the session is still "
            "alive".format(profile.status_code))


def test_other_users_stay_logged_in(submission: Submission) -> None:
    """Logging one user out leaves another user's session alive."""
    client = submission.cookieless_client()
    alice = log_in_over_http(client, ALICE)
    bob = log_in_over_http(client, BOB)
    log_out(submission, client, alice)
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
    client = submission.cookieless_client()
    register_over_http(client, CAROL)
    alice = log_in_over_http(client, ALICE)
    answer = log_out(submission, client, session_id)
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
