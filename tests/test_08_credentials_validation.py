#!/usr/bin/env python3
"""Spec of step 08: Auth.valid_login checks an email and a password."""
from typing import Any

import bcrypt
import pytest
from hypothesis import given, strategies as st

from spec_support import (as_bytes, describe_exception, RemoteError,
                          Submission, short)

EMAIL = "bob@example.com"
PASSWORD = "MyPwdOfBob"
OTHER_EMAIL = "alice@example.com"
OTHER_PASSWORD = "AlicesOwnPwd"

# Non-empty passwords of at most 72 UTF-8 bytes, the most bcrypt takes into
# account. What valid_login does with an empty password is not part of this
# step's contract.
PASSWORDS = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",),
                          exclude_characters="\x00"), min_size=1,
            max_size=18),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
            max_size=72))

# Hypothesis' explain phase re-runs a failing example hundreds of times, each
# with a fresh a.db: a minute per failure, for notes the report never shows.


def new_auth(submission: Submission) -> Any:
    """Return a fresh Auth of the submission, with an empty a.db."""
    submission.get("auth", "Auth.register_user")
    submission.get("auth", "Auth.valid_login")
    return submission.auth()


def valid_login(submission: Submission, auth: Any, email: str,
                password: str, situation: str = "") -> Any:
    """Call auth.valid_login, failing with a reason if it raises."""
    try:
        return auth.valid_login(email, password)
    except RemoteError as error:  # an error of student code is a finding
        pytest.fail("valid_login({}, {}){} must answer True or False, never "
                    "raise; it raised {}".format(
                        short(email), short(password),
                        " " + situation if situation else "",
                        describe_exception(error, submission.root)),
                    pytrace=False)


def expect(result: Any, expected: bool, situation: str) -> None:
    """Check that valid_login returned exactly the bool expected."""
    assert isinstance(result, bool), (
        "valid_login {} must return {}, a real bool; it returned {}".format(
            situation, expected, short(result)))
    assert result is expected, (
        "valid_login {} must return {}; it returned {}".format(
            situation, expected, result))


def test_right_password_returns_true(submission: Submission) -> None:
    """A registered email with its password is a valid login."""
    auth = new_auth(submission)
    auth.register_user(EMAIL, PASSWORD)
    result = valid_login(submission, auth, EMAIL, PASSWORD)
    expect(result, True, "with a registered email and its right password "
           "(check it with bcrypt.checkpw against the stored hash)")


def test_wrong_password_returns_false(submission: Submission) -> None:
    """A registered email with another password is not a valid login."""
    auth = new_auth(submission)
    auth.register_user(EMAIL, PASSWORD)
    for wrong in ("not" + PASSWORD, PASSWORD.lower(), PASSWORD[:-1]):
        result = valid_login(submission, auth, EMAIL, wrong)
        expect(result, False, "with a registered email and the wrong "
               "password {}".format(short(wrong)))


def test_unknown_email_returns_false(submission: Submission) -> None:
    """An email nobody registered is a failed login, not an error."""
    auth = new_auth(submission)
    result = valid_login(submission, auth, EMAIL, PASSWORD)
    expect(result, False, "with an email nobody registered (here in an "
           "empty database)")
    auth.register_user(OTHER_EMAIL, PASSWORD)
    result = valid_login(submission, auth, EMAIL, PASSWORD)
    expect(result, False, "with an email nobody registered, even when "
           "someone else uses that password")


def test_passwords_do_not_cross_accounts(submission: Submission) -> None:
    """Each password opens only its own account."""
    auth = new_auth(submission)
    auth.register_user(EMAIL, PASSWORD)
    auth.register_user(OTHER_EMAIL, OTHER_PASSWORD)
    expect(valid_login(submission, auth, EMAIL, OTHER_PASSWORD), False,
           "with {} and the password of {}".format(EMAIL, OTHER_EMAIL))
    expect(valid_login(submission, auth, OTHER_EMAIL, PASSWORD), False,
           "with {} and the password of {}".format(OTHER_EMAIL, EMAIL))
    expect(valid_login(submission, auth, OTHER_EMAIL, OTHER_PASSWORD), True,
           "with {} and its own password".format(OTHER_EMAIL))


def test_stored_hash_is_not_a_password(submission: Submission) -> None:
    """The stored hash itself does not log in: passwords go through bcrypt."""
    auth = new_auth(submission)
    auth.register_user(EMAIL, PASSWORD)
    row = submission.stored_user(EMAIL)
    assert row is not None, (
        "register_user must store the user in a.db; no user {} is "
        "stored".format(EMAIL))
    stored = as_bytes(row["hashed_password"])
    if not isinstance(stored, bytes):
        pytest.fail("the stored hashed_password must be the bcrypt hash, "
                    "str or bytes; it is {}".format(short(stored)),
                    pytrace=False)
    stolen = stored.decode("utf-8", "replace")
    result = valid_login(submission, auth, EMAIL, stolen)
    if result is True:
        pytest.fail("valid_login returned True when given the stored hash "
                    "{} as the password, so anyone who has read a.db could "
                    "log in as any user without knowing a password; "
                    "bcrypt.checkpw(password, stored hash) alone refuses "
                    "it".format(short(stolen)), pytrace=False)
    expect(result, False, "with the stored hash given as the password")


def test_hash_stored_by_add_user(submission: Submission) -> None:
    """A bcrypt hash added with DB.add_user checks the password.

    The user is added through DB.add_user of the Auth's own database, with
    a bcrypt hash made here (bytes, as _hash_password returns it), so the
    step is judged on its own code even when register_user is wrong.
    """
    auth = new_auth(submission)
    try:
        database = auth._db
    except AttributeError:
        pytest.fail("Auth() must keep its DB in self._db, as the starter "
                    "does; this Auth has no _db", pytrace=False)
    stored = bcrypt.hashpw(PASSWORD.encode("utf-8"), bcrypt.gensalt(4))
    try:
        database.add_user(EMAIL, stored)
    except RemoteError as error:
        pytest.fail("setting up: add_user({}, {}) of Auth()._db (step 1) "
                    "raised {}".format(short(EMAIL), short(stored),
                                       describe_exception(error)),
                    pytrace=False)
    situation = "for a user added with the bcrypt hash {}".format(
        short(stored))
    expect(valid_login(submission, auth, EMAIL, PASSWORD, situation), True,
           "with its right password, " + situation)
    expect(valid_login(submission, auth, EMAIL, "not" + PASSWORD,
                       situation), False,
           "with a wrong password, " + situation)


@given(email=st.emails(), password=PASSWORDS, other=PASSWORDS)
def test_register_then_login_property(submission: Submission, email: str,
                                      password: str, other: str) -> None:
    """For any email and password, register then log in round-trips."""
    if other == password:  # another non-empty password of at most 72 bytes
        other = password[:-1] if len(password) > 1 else password + "?"
    auth = new_auth(submission)
    auth.register_user(email, password)
    registered = "right after register_user({}, {}), with {} and".format(
        short(email), short(password), short(email))
    expect(valid_login(submission, auth, email, password), True,
           "{} {}".format(registered, short(password)))
    expect(valid_login(submission, auth, email, other), False,
           "{} the other password {}".format(registered, short(other)))
