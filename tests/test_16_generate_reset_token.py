#!/usr/bin/env python3
"""Spec of step 16: Auth.get_reset_password_token(email) in auth.py."""
import uuid
from typing import Any

import pytest
from hypothesis import given, strategies as st

from spec_support import (unless_value_error, Remote, RemoteError,
                          Submission, short)

EMAIL = "bob@example.com"
OTHER = "alice@example.com"
PASSWORD = "correct horse"

# Local parts of e-mail addresses, cheap to generate.
LOCAL_PARTS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-",
                      min_size=1, max_size=20)


def auth_with_users(submission: Submission, *emails: str) -> Remote:
    """Return a fresh Auth() on which the given emails are registered."""
    submission.get("auth", "Auth.register_user")
    submission.get("auth", "Auth.get_reset_password_token")
    auth = submission.auth()
    for email in emails:
        try:
            auth.register_user(email, PASSWORD)
        except RemoteError as error:
            pytest.fail("setting up: register_user({!r}, ...) (step 5) "
                        "raised {}".format(email, error.describe()),
                        pytrace=False)
    return auth


def token_of(auth: Remote, email: str) -> Any:
    """Call get_reset_password_token(email), failing if it raises."""
    try:
        return auth.get_reset_password_token(email)
    except RemoteError as error:  # an error of student code is a finding
        pytest.fail("get_reset_password_token({!r}) of a registered user "
                    "must return a token; it raised {}".format(
                        email, error.describe()), pytrace=False)


def test_unknown_email_raises_value_error(submission: Submission) -> None:
    """An email nobody registered raises ValueError, never returns."""
    auth = auth_with_users(submission, EMAIL, OTHER)
    instead = unless_value_error(
        lambda: auth.get_reset_password_token("nobody@example.com"))
    assert instead is None, (
        "get_reset_password_token with an email nobody registered must "
        "raise ValueError; it {}".format(instead))


@given(local=LOCAL_PARTS)
def test_any_unregistered_email_raises(submission: Submission,
                                       local: str) -> None:
    """Whatever the unregistered email, the answer is a ValueError."""
    auth = auth_with_users(submission, EMAIL)
    email = local + "@unknown.example"
    instead = unless_value_error(
        lambda: auth.get_reset_password_token(email))
    assert instead is None, (
        "get_reset_password_token({!r}), an email nobody registered, must "
        "raise ValueError; it {}".format(email, instead))


def test_returns_a_uuid_string(submission: Submission) -> None:
    """A registered email gets the text form of a UUID."""
    auth = auth_with_users(submission, EMAIL)
    token = token_of(auth, EMAIL)
    assert isinstance(token, str), (
        "get_reset_password_token must return the token as a str; it "
        "returned {}".format(short(token)))
    try:
        uuid.UUID(token)
    except ValueError:
        assert False, (
            "get_reset_password_token must return the text of a UUID (as "
            "_generate_uuid makes); it returned {}".format(short(token)))


def test_token_is_persisted(submission: Submission) -> None:
    """The token is committed to the user's reset_token column in a.db."""
    auth = auth_with_users(submission, EMAIL)
    token = token_of(auth, EMAIL)
    row = submission.stored_user(EMAIL)
    assert row is not None, (
        "after register_user, a.db must hold the user {}; it does not"
        .format(EMAIL))
    assert row.get("reset_token") == token, (
        "get_reset_password_token must save the token as the user's "
        "reset_token, committed to a.db; a new connection to a.db reads {} "
        "instead of the returned {}".format(
            short(row.get("reset_token")), short(token)))


def test_each_call_makes_a_new_token(submission: Submission) -> None:
    """Two calls give two different tokens; the last one is stored."""
    auth = auth_with_users(submission, EMAIL)
    first = token_of(auth, EMAIL)
    second = token_of(auth, EMAIL)
    assert first != second, (
        "each call of get_reset_password_token must make a new token; two "
        "calls both returned {}".format(short(first)))
    row = submission.stored_user(EMAIL) or {}
    assert row.get("reset_token") == second, (
        "after a second call, a.db must hold the second token {} as "
        "reset_token; it holds {}".format(
            short(second), short(row.get("reset_token"))))


def test_only_that_user_gets_the_token(submission: Submission) -> None:
    """The token is stored on the asked user only, not on the others."""
    auth = auth_with_users(submission, OTHER, EMAIL)
    token = token_of(auth, EMAIL)
    mine = (submission.stored_user(EMAIL) or {}).get("reset_token")
    theirs = (submission.stored_user(OTHER) or {}).get("reset_token")
    assert mine == token, (
        "get_reset_password_token({!r}) must store the token on that user; "
        "a.db holds {} for it".format(EMAIL, short(mine)))
    assert theirs is None, (
        "get_reset_password_token({!r}) must not give another user a reset "
        "token; {} now has {}".format(EMAIL, OTHER, short(theirs)))
