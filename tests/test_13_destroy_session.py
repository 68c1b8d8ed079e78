#!/usr/bin/env python3
"""Spec of step 13: Auth.destroy_session in auth.py."""
from typing import Any, Dict, Tuple

import pytest

from spec_support import Remote, RemoteError, Submission, short

EMAILS = ("alice@example.com", "bob@example.com", "carol@example.com")


def set_up(submission: Submission,
           count: int = 2) -> Tuple[Remote, Dict[str, int], Dict[str, str]]:
    """Return a fresh Auth with count logged-in users.

    Also return each user's id and session id, by email, as a.db holds them.
    """
    submission.get("auth", "Auth.destroy_session")
    auth = submission.auth()
    ids: Dict[str, int] = {}
    sessions: Dict[str, str] = {}
    for email in EMAILS[:count]:
        try:
            auth.register_user(email, "pass-" + email)
            session_id = auth.create_session(email)
        except RemoteError as error:
            pytest.fail("setting up: registering {} and creating its "
                        "session (steps 5 and 10) raised {}".format(
                            email, error.describe()), pytrace=False)
        row = submission.stored_user(email)
        assert row is not None and row["session_id"] == session_id, (
            "setting up: after create_session({!r}) (step 10), a.db must "
            "hold the session id it returned; it holds {}".format(
                email, short(row and row["session_id"])))
        ids[email] = row["id"]
        sessions[email] = session_id
    return auth, ids, sessions


def destroy(auth: Remote, user_id: int) -> Any:
    """Call destroy_session(user_id), failing with a reason if it raises."""
    try:
        return auth.destroy_session(user_id)
    except RemoteError as error:  # an error of student code is a finding
        pytest.fail("destroy_session({}) of a logged-in user must end its "
                    "session; it raised {}".format(user_id,
                                                   error.describe()),
                    pytrace=False)


def stored_session(submission: Submission, email: str) -> Any:
    """Return the session_id a.db holds for email, through a new connection."""
    row = submission.stored_user(email)
    assert row is not None, (
        "the user {} must still be in a.db; it is gone".format(email))
    return row["session_id"]


def test_clears_the_session_and_saves_it(submission: Submission) -> None:
    """The user's session_id is NULL in a.db afterwards; None is returned."""
    auth, ids, _ = set_up(submission)
    email = EMAILS[1]
    result = destroy(auth, ids[email])
    assert result is None, (
        "destroy_session(user_id) must return None; it returned {}".format(
            short(result)))
    left = stored_session(submission, email)
    assert left is None, (
        "after destroy_session({}), the session_id of {} in a.db (read "
        "through a new connection) must be NULL; it is {}: clear it and "
        "save the change, so a stolen session id stops working".format(
            ids[email], email, short(left)))


def test_other_sessions_stay(submission: Submission) -> None:
    """Only the given user is logged out; the others keep their session."""
    auth, ids, sessions = set_up(submission, 3)
    target = EMAILS[1]
    destroy(auth, ids[target])
    for email in EMAILS[:3]:
        left = stored_session(submission, email)
        if email == target:
            assert left is None, (
                "destroy_session({}) must end the session of {}, whose id "
                "it is; its session_id in a.db is still {}".format(
                    ids[target], target, short(left)))
        else:
            assert left == sessions[email], (
                "with three users logged in, destroy_session({}) must end "
                "the session of {} only; the session_id of {} in a.db "
                "changed from {} to {}, so that user was logged out "
                "too".format(ids[target], target, email,
                             short(sessions[email]), short(left)))
