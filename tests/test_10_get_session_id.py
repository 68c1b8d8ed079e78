#!/usr/bin/env python3
"""Spec of step 10: Auth.create_session stores and returns a new session id."""
import uuid
from typing import Any, Optional

import pytest

from spec_support import describe_exception, RemoteError, Submission, short

EMAIL = "bob@example.com"
OTHER_EMAIL = "alice@example.com"
PASSWORD = "MyPwdOfBob"


def registered(submission: Submission, *emails: str) -> Any:
    """Return a fresh Auth() with the given emails registered."""
    auth = submission.auth()
    submission.get("auth", "Auth.register_user")
    submission.get("auth", "Auth.create_session")
    for email in emails:
        auth.register_user(email, PASSWORD)
    return auth


def create_session(submission: Submission, auth: Any, email: str,
                   requirement: str = " must not raise") -> Any:
    """Call auth.create_session(email), failing with a reason if it raises."""
    try:
        return auth.create_session(email)
    except RemoteError as error:  # an error of student code is a finding
        pytest.fail("create_session({}){}; it raised {}".format(
            short(email), requirement,
            describe_exception(error, submission.root)), pytrace=False)


def stored_session(submission: Submission, email: str) -> Optional[str]:
    """Return the session_id committed in a.db for the email's user."""
    row = submission.stored_user(email)
    assert row is not None, (
        "the user {} registered by register_user is not in a.db".format(
            email))
    return row["session_id"]


def test_returns_a_uuid_string(submission: Submission) -> None:
    """create_session returns the text of a UUID."""
    auth = registered(submission, EMAIL)
    session_id = create_session(submission, auth, EMAIL)
    assert isinstance(session_id, str), (
        "create_session of a registered email must return the new session "
        "id as a str; it returned {}".format(short(session_id)))
    try:
        uuid.UUID(session_id)
    except ValueError:
        pytest.fail("create_session must return a UUID string (made by "
                    "_generate_uuid); uuid.UUID({}) fails".format(
                        short(session_id)), pytrace=False)


def test_session_id_is_saved(submission: Submission) -> None:
    """The returned id is committed as the user's session_id."""
    auth = registered(submission, EMAIL)
    session_id = create_session(submission, auth, EMAIL)
    stored = stored_session(submission, EMAIL)
    assert stored is not None and stored == session_id, (
        "create_session must save the new id as the user's session_id, "
        "committed to a.db; a separate connection reads session_id {} "
        "where create_session returned {}".format(
            short(stored), short(session_id)))


def test_only_that_user_gets_the_session(submission: Submission) -> None:
    """The session goes to the user with that email, nobody else."""
    auth = registered(submission, OTHER_EMAIL, EMAIL)
    session_id = create_session(submission, auth, EMAIL)
    mine = stored_session(submission, EMAIL)
    other = stored_session(submission, OTHER_EMAIL)
    assert mine == session_id, (
        "create_session({}) must store the id on the user with that email; "
        "a.db holds session_id {} for it where the call returned {}".format(
            short(EMAIL), short(mine), short(session_id)))
    assert other is None, (
        "create_session({}) must not touch another user; {} now has "
        "session_id {}".format(short(EMAIL), OTHER_EMAIL, short(other)))


def test_each_call_makes_a_new_id(submission: Submission) -> None:
    """Every call gives a different id, and the latest one is stored."""
    auth = registered(submission, EMAIL, OTHER_EMAIL)
    first = create_session(submission, auth, EMAIL)
    second = create_session(submission, auth, EMAIL)
    assert first != second, (
        "each call of create_session must make a new session id, so that a "
        "stolen old id stops working at the next login; two calls for {} "
        "both returned {}".format(EMAIL, short(first)))
    stored = stored_session(submission, EMAIL)
    assert stored == second, (
        "after a second create_session, a.db must hold the newest id {}; it "
        "holds {}".format(short(second), short(stored)))
    other = create_session(submission, auth, OTHER_EMAIL)
    assert other not in (first, second), (
        "two users must never get the same session id; {} got {}, an id "
        "already given to {}".format(OTHER_EMAIL, short(other), EMAIL))


def test_unknown_email_gives_none(submission: Submission) -> None:
    """An email nobody registered gives None, raises nothing, saves nothing."""
    auth = registered(submission, EMAIL)
    result = create_session(
        submission, auth, "nobody@example.com",
        ", an email nobody registered, must return None, not raise")
    assert result is None, (
        "create_session of an email nobody registered must return None; it "
        "returned {}".format(short(result)))
    stored = stored_session(submission, EMAIL)
    assert stored is None, (
        "create_session of an unknown email must not give a session to "
        "anybody; {} now has session_id {}".format(EMAIL, short(stored)))
    rows = submission.rows("SELECT COUNT(*) FROM users")
    assert rows[0][0] == 1, (
        "create_session of an unknown email must not create a user; a.db "
        "now holds {} users instead of 1".format(rows[0][0]))
