#!/usr/bin/env python3
"""Spec of step 12: Auth.get_user_from_session_id in auth.py."""
from typing import Any, Dict, Optional, Tuple

import pytest
from hypothesis import assume, example, given, strategies as st

from spec_support import Remote, RemoteError, Submission, short

LOGGED_IN = ("alice@example.com", "bob@example.com")
LOGGED_OUT = ("carol@example.com", "dave@example.com")
MADE_UP_ID = "5f0c6b2e-8d1a-4f3e-9b7c-2a4d6e8f0a1b"


def set_up(submission: Submission) -> Tuple[Remote, Dict[str, str]]:
    """Return a fresh Auth holding users with and without a session.

    Also return the session ids of the logged-in users, by email.
    """
    submission.get("auth", "Auth.get_user_from_session_id")
    auth = submission.auth()
    sessions: Dict[str, str] = {}
    for email in LOGGED_OUT[:1] + LOGGED_IN + LOGGED_OUT[1:]:
        try:
            auth.register_user(email, "pass-" + email)
        except RemoteError as error:
            pytest.fail("setting up: register_user({!r}, ...) (step 5) "
                        "raised {}".format(email, error.describe()),
                        pytrace=False)
    for email in LOGGED_IN:
        try:
            session_id = auth.create_session(email)
        except RemoteError as error:
            pytest.fail("setting up: create_session({!r}) (step 10) "
                        "raised {}".format(email, error.describe()),
                        pytrace=False)
        assert isinstance(session_id, str) and session_id, (
            "setting up: create_session({!r}) (step 10) must return a "
            "session id; it returned {}".format(email, short(session_id)))
        sessions[email] = session_id
    return auth, sessions


def describe(user: Any) -> str:
    """Return how a failure message names a returned user."""
    try:
        email = getattr(user, "email", None)
    except RemoteError:
        email = None
    if email is None:
        if isinstance(user, Remote):
            return "a {} object".format(user.type_name)
        return short(user)
    return "the user {}".format(short(email))


def look_up(auth: Remote, session_id: Optional[str]) -> Any:
    """Call get_user_from_session_id, failing with a reason if it raises."""
    try:
        return auth.get_user_from_session_id(session_id)
    except RemoteError as error:  # an error of student code is a finding
        pytest.fail(
            "get_user_from_session_id({}) must return None when no user "
            "holds that session id, never raise; it raised {}: {}".format(
                short(session_id), error.name, short(error.message)),
            pytrace=False)


def test_finds_the_user_holding_each_session(
        submission: Submission) -> None:
    """Each session id leads to the one user it was given to."""
    auth, sessions = set_up(submission)
    for email, session_id in sessions.items():
        user = look_up(auth, session_id)
        assert user is not None, (
            "get_user_from_session_id(<the session id of {}>) must return "
            "that user; it returned None".format(email))
        assert getattr(user, "email", None) == email, (
            "get_user_from_session_id(<the session id of {}>) must return "
            "that user; it returned {}".format(email, describe(user)))


def test_unknown_session_id_gives_none(submission: Submission) -> None:
    """A session id that no user holds gives None, without an exception."""
    auth, sessions = set_up(submission)

    # Looking up changes nothing, so every example shares one database. The
    # empty string is not part of this step's contract.
    @given(session_id=st.text(min_size=1, max_size=40))
    @example(session_id=MADE_UP_ID)
    def check(session_id: str) -> None:
        """Look up one made-up session id."""
        assume(session_id not in sessions.values())
        user = look_up(auth, session_id)
        assert user is None, (
            "get_user_from_session_id({}) must return None: no user holds "
            "that session id; it returned {}, so a made-up cookie would "
            "log someone in".format(short(session_id), describe(user)))

    check()


def test_none_gives_none_even_with_users_without_session(
        submission: Submission) -> None:
    """None gives None, though some users in the database have no session."""
    auth, _ = set_up(submission)
    user = look_up(auth, None)
    assert user is None, (
        "get_user_from_session_id(None) must return None; with users "
        "without a session in the database it returned {}, who has no "
        "session: anyone sending no session cookie would be logged in as "
        "that user, an account takeover".format(describe(user)))
