#!/usr/bin/env python3
"""Spec of step 18: Auth.update_password(reset_token, password) in auth.py."""
import uuid
from typing import Any, Dict

import bcrypt
import pytest
from hypothesis import assume, given, strategies as st

from spec_support import (unless_value_error, Remote, RemoteError,
                          Submission, as_bytes, short)

EMAIL = "bob@example.com"
OTHER = "alice@example.com"
THIRD = "carol@example.com"
OLD = "old password"
NEW = "new password"

# Passwords bcrypt accepts: no NUL, at most 18 characters (72 UTF-8 bytes).
PASSWORDS = st.text(
    alphabet=st.characters(exclude_categories=("Cs",),
                           exclude_characters="\x00"),
    min_size=1, max_size=18)


def auth_with_users(submission: Submission, *emails: str) -> Remote:
    """Return a fresh Auth() on which the emails are registered with OLD."""
    for name in ("register_user", "valid_login", "get_reset_password_token",
                 "update_password"):
        submission.get("auth", "Auth." + name)
    auth = submission.auth()
    for email in emails:
        try:
            auth.register_user(email, OLD)
        except RemoteError as error:
            pytest.fail("setting up: register_user({!r}, ...) (step 5) "
                        "raised {}".format(email, error.describe()),
                        pytrace=False)
    return auth


def token_of(auth: Remote, email: str) -> Any:
    """Return a reset token of email (step 16), failing if the call raises."""
    try:
        return auth.get_reset_password_token(email)
    except RemoteError as error:
        pytest.fail("setting up: get_reset_password_token({!r}) (step 16) "
                    "raised {}".format(email, error.describe()),
                    pytrace=False)


def update(auth: Remote, token: Any, password: str) -> Any:
    """Call update_password with a valid token, failing if it raises."""
    try:
        return auth.update_password(token, password)
    except RemoteError as error:  # an error of student code is a finding
        pytest.fail("update_password(<a valid reset token>, {!r}) must set "
                    "the new password; it raised {}".format(
                        password, error.describe()), pytrace=False)


def stored_hashes(submission: Submission, *emails: str) -> Dict[str, Any]:
    """Return the committed hashed_password of each email."""
    return {email: (submission.stored_user(email) or {}).get(
        "hashed_password") for email in emails}


def logs_in(auth: Remote, email: str, password: str) -> bool:
    """Return what valid_login answers, failing clearly if it raises."""
    try:
        return bool(auth.valid_login(email, password))
    except RemoteError as error:  # a broken stored hash makes checkpw raise
        assert False, (
            "after update_password, valid_login({!r}, {!r}) raised {}: {}; "
            "the stored hashed_password must be a bcrypt hash".format(
                email, password, error.name, error.message))


def test_unknown_token_raises_value_error(submission: Submission) -> None:
    """A token that belongs to nobody raises ValueError."""
    auth = auth_with_users(submission, EMAIL, OTHER)
    token_of(auth, EMAIL)
    before = stored_hashes(submission, EMAIL, OTHER)
    instead = unless_value_error(
        lambda: auth.update_password(str(uuid.uuid4()), NEW))
    assert instead is None, (
        "update_password with a reset token that belongs to nobody must "
        "raise ValueError; it {}".format(instead))
    assert stored_hashes(submission, EMAIL, OTHER) == before, (
        "update_password with a reset token that belongs to nobody must "
        "change no password; it changed one")


def test_none_token_changes_no_password(submission: Submission) -> None:
    """None as the token raises ValueError and resets nobody's password."""
    auth = auth_with_users(submission, EMAIL, OTHER, THIRD)
    token_of(auth, THIRD)
    before = stored_hashes(submission, EMAIL, OTHER, THIRD)
    instead = unless_value_error(lambda: auth.update_password(None, NEW))
    after = stored_hashes(submission, EMAIL, OTHER, THIRD)
    changed = [email for email in before if after[email] != before[email]]
    assert not changed, (
        "update_password(None, ...) changed the password of {}, a user "
        "without a reset token: anyone could then set the password of every "
        "user who never asked for a reset and log in as them, an account "
        "takeover; a token of None must raise ValueError".format(
            ", ".join(changed)))
    assert instead is None, (
        "update_password with None as the token must raise ValueError; it "
        "{}".format(instead))


def test_returns_none(submission: Submission) -> None:
    """A valid token is accepted and the method returns None."""
    auth = auth_with_users(submission, EMAIL)
    token = token_of(auth, EMAIL)
    result = update(auth, token, NEW)
    assert result is None, (
        "update_password must return None; it returned {}".format(
            short(result)))


def test_stores_only_a_bcrypt_hash(submission: Submission) -> None:
    """The stored hashed_password is a bcrypt hash of the new password."""
    auth = auth_with_users(submission, EMAIL)
    update(auth, token_of(auth, EMAIL), NEW)
    stored = (submission.stored_user(EMAIL) or {}).get("hashed_password")
    assert as_bytes(stored) != NEW.encode("utf-8"), (
        "update_password must store only the bcrypt hash of the new "
        "password, never the password itself: a.db holds {!r} in clear"
        .format(stored))
    try:
        accepted = bcrypt.checkpw(NEW.encode("utf-8"), as_bytes(stored))
    except (TypeError, ValueError):
        accepted = False
    assert accepted, (
        "after update_password, a.db must hold a bcrypt hash of the new "
        "password (committed); it holds {}".format(short(stored)))


def test_new_password_logs_in_old_does_not(submission: Submission) -> None:
    """After the reset, valid_login accepts the new password only."""
    auth = auth_with_users(submission, EMAIL)
    update(auth, token_of(auth, EMAIL), NEW)
    assert logs_in(auth, EMAIL, NEW), (
        "after update_password, valid_login must accept the new password")
    assert not logs_in(auth, EMAIL, OLD), (
        "after update_password, valid_login must refuse the old password")


def test_token_is_cleared(submission: Submission) -> None:
    """The used token is set to NULL in a.db."""
    auth = auth_with_users(submission, EMAIL)
    token = token_of(auth, EMAIL)
    update(auth, token, NEW)
    stored = (submission.stored_user(EMAIL) or {}).get("reset_token")
    assert stored is None, (
        "after update_password, the user's reset_token must be NULL in a.db "
        "so the token cannot serve again; it is {}".format(short(stored)))


def test_token_cannot_be_used_twice(submission: Submission) -> None:
    """A second reset with the same token raises ValueError."""
    auth = auth_with_users(submission, EMAIL)
    token = token_of(auth, EMAIL)
    update(auth, token, NEW)
    before = stored_hashes(submission, EMAIL)
    instead = unless_value_error(
        lambda: auth.update_password(token, "third password"))
    assert instead is None, (
        "a reset token serves once: a second update_password with it must "
        "raise ValueError, or whoever sees the token later (an old e-mail, "
        "a log) can take the account; it {}".format(instead))
    assert stored_hashes(submission, EMAIL) == before, (
        "a second update_password with a used token must not change the "
        "password; it did")


def test_other_users_are_untouched(submission: Submission) -> None:
    """Only the token's user changes; another user keeps hash and token."""
    auth = auth_with_users(submission, OTHER, EMAIL)
    theirs = token_of(auth, OTHER)
    mine = token_of(auth, EMAIL)
    before = submission.stored_user(OTHER) or {}
    update(auth, mine, NEW)
    after = submission.stored_user(OTHER) or {}
    assert after.get("hashed_password") == before.get("hashed_password"), (
        "update_password with {}'s token must not change the password of "
        "{}; it did".format(EMAIL, OTHER))
    assert after.get("reset_token") == theirs, (
        "update_password with {}'s token must leave {}'s reset token alone; "
        "it became {}".format(EMAIL, OTHER, short(after.get("reset_token"))))


@given(password=PASSWORDS)
def test_any_new_password_replaces_the_old(submission: Submission,
                                           password: str) -> None:
    """For any new password, it logs in afterwards and the old does not."""
    assume(password != OLD)
    auth = auth_with_users(submission, EMAIL)
    update(auth, token_of(auth, EMAIL), password)
    assert logs_in(auth, EMAIL, password), (
        "after update_password with the new password {!r}, valid_login must "
        "accept it".format(password))
    assert not logs_in(auth, EMAIL, OLD), (
        "after update_password with the new password {!r}, valid_login must "
        "refuse the old one".format(password))
