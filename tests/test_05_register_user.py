#!/usr/bin/env python3
"""Spec of step 05: Auth.register_user in auth.py registers new emails."""
from typing import Any, List

import bcrypt
from hypothesis import given, strategies as st

from spec_support import (as_bytes, describe_outcome, is_instance, outcome,
                          raised, Submission, short)

EMAIL = "me@example.com"
PASSWORD = "mySuperPwd"
# Any non-empty text without NUL (bcrypt stops reading a password at a NUL
# byte), cut to bcrypt's limit of 72 UTF-8 bytes on a character boundary (the
# first character always stays). What register_user does with an empty
# password is not part of this step's contract.
PASSWORDS = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
    min_size=1, max_size=72).map(
    lambda text: text.encode("utf-8")[:72].decode("utf-8", "ignore"))
# A small pool, so that the same email often comes twice.
EMAILS = st.lists(st.sampled_from(("ann@example.com", "bob@example.com",
                                   "cy@example.com")),
                  min_size=1, max_size=5)


def accepts(password: str, stored: Any) -> bool:
    """Tell whether bcrypt.checkpw accepts password against stored."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), as_bytes(stored))
    except (TypeError, ValueError):
        return False


def count(submission: Submission, email: str) -> int:
    """Return how many committed rows of a.db have that email."""
    return submission.rows("SELECT COUNT(*) FROM users WHERE email = ?",
                           (email,))[0][0]


def fresh_auth(submission: Submission) -> Any:
    """Return a new Auth() of the submission, once it can register users."""
    submission.get("auth", "Auth.register_user")
    return submission.auth()


def test_register_returns_the_new_user(submission: Submission) -> None:
    """register_user returns the new User, committed to a.db."""
    user_class = submission.get("user", "User")
    auth = fresh_auth(submission)
    user = auth.register_user(EMAIL, PASSWORD)
    assert is_instance(user, user_class), (
        "register_user must return the new User; it returned {}".format(
            short(user)))
    assert user.email == EMAIL, (
        "the User returned by register_user must have the email {}; it has "
        "{}".format(EMAIL, short(user.email)))
    assert submission.stored_user(EMAIL) is not None, (
        "after register_user returns, a new connection to a.db must see the "
        "user; it sees no row")


@given(password=PASSWORDS)
def test_only_the_hash_is_stored(submission: Submission,
                                 password: str) -> None:
    """For any password, a.db holds a bcrypt hash of it, never itself."""
    auth = fresh_auth(submission)
    auth.register_user(EMAIL, password)
    row = submission.stored_user(EMAIL)
    assert row is not None, (
        "after register_user returns, a new connection to a.db must see the "
        "user; it sees no row")
    stored = row["hashed_password"]
    assert as_bytes(stored) != password.encode("utf-8"), (
        "register_user must store a hash of the password, never the "
        "password itself: anyone who reads a.db would read it")
    assert accepts(password, stored), (
        "the hashed_password stored by register_user must be the bcrypt "
        "hash of the password (bcrypt.checkpw must accept the password "
        "against it); a.db holds {}".format(short(stored)))


def test_duplicate_email_raises_value_error(submission: Submission) -> None:
    """Registering an email twice raises ValueError with the set message."""
    auth = fresh_auth(submission)
    auth.register_user(EMAIL, PASSWORD)
    result = outcome(lambda: auth.register_user(EMAIL, "anotherPwd"))
    wanted = "User {} already exists".format(EMAIL)
    assert raised(result, ValueError), (
        "registering {} a second time must raise ValueError('{}'); "
        "{}".format(EMAIL, wanted, describe_outcome(result)))
    assert str(result[1]) == wanted, (
        "the ValueError for an email already registered must say exactly "
        "'{}'; it says {}".format(wanted, short(str(result[1]))))
    assert count(submission, EMAIL) == 1, (
        "after a refused second registration of {}, a.db must hold one "
        "user with that email; it holds {}".format(
            EMAIL, count(submission, EMAIL)))


def test_duplicate_keeps_the_first_password(submission: Submission) -> None:
    """A refused registration leaves the first user's password in place."""
    auth = fresh_auth(submission)
    auth.register_user(EMAIL, PASSWORD)
    before = submission.stored_user(EMAIL)
    outcome(lambda: auth.register_user(EMAIL, "anotherPwd"))
    after = submission.stored_user(EMAIL)
    assert after == before, (
        "registering {} again must leave the registered user as it was: "
        "otherwise anyone could take over an account by registering its "
        "email again with a password of their own; the row changed from {} "
        "to {}".format(EMAIL, short(before), short(after)))


@given(emails=EMAILS)
def test_each_email_registers_once(submission: Submission,
                                   emails: List[str]) -> None:
    """For any emails in turn: new ones register, repeated ones fail."""
    auth = fresh_auth(submission)
    seen: List[str] = []
    for email in emails:
        result = outcome(lambda: auth.register_user(email, PASSWORD))
        if email in seen:
            wanted = "User {} already exists".format(email)
            assert raised(result, ValueError) and \
                str(result[1]) == wanted, (
                    "registering {} again after {} must raise "
                    "ValueError('{}'); {}".format(
                        email, short(seen), wanted, describe_outcome(result)))
        else:
            assert result[0] == "returned", (
                "registering the new email {} after {} must succeed; "
                "{}".format(email, short(seen), describe_outcome(result)))
            seen.append(email)
    stored = sorted(row[0] for row in submission.rows(
        "SELECT email FROM users"))
    assert stored == sorted(seen), (
        "after registering {} in turn, a.db must hold each email once: {}; "
        "it holds {}".format(short(emails), short(sorted(seen)),
                             short(stored)))
