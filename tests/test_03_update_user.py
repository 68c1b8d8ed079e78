#!/usr/bin/env python3
"""Spec of step 03: DB.update_user in db.py changes columns for good."""
from typing import Any, Dict

from hypothesis import assume, given, strategies as st

from spec_support import (Remote, Submission, as_bytes, describe_outcome,
                          outcome, raised, short)

ANN = "ann@example.com"
BOB = "bob@example.com"
COLUMNS = ("id", "email", "hashed_password", "session_id", "reset_token")

# Short text from a small alphabet keeps each example (a fresh a.db) cheap
# to run and to shrink. Never empty: what an empty string does is not part of
# this step's contract.
TEXT = st.text("ab@.é- ", min_size=1, max_size=8)
CHANGES = st.fixed_dictionaries({}, optional={
    "email": TEXT,
    "hashed_password": TEXT,
    "session_id": st.none() | TEXT,
    "reset_token": st.none() | TEXT,
}).filter(bool)
NAMES = st.from_regex(r"[a-z][a-z_]{0,14}", fullmatch=True)
# Whether a name User has that is not a column (metadata, __tablename__)
# is refused is the student's choice: the exercise asks to refuse what is
# not an attribute of the user, and a column check and hasattr both do.


def one_user(submission: Submission) -> Remote:
    """Return a fresh DB holding ann (id 1)."""
    for method in ("update_user", "find_user_by", "add_user"):
        submission.get("db", "DB." + method)
    db = submission.db()
    db.add_user(ANN, "ann-hash")
    return db


def two_users(submission: Submission) -> Remote:
    """Return a fresh DB holding ann (id 1) and bob (id 2)."""
    db = one_user(submission)
    db.add_user(BOB, "bob-hash")
    return db


def test_update_is_committed(submission: Submission) -> None:
    """The change is visible from another connection and returns None."""
    db = two_users(submission)
    result = outcome(lambda: db.update_user(2, session_id="abc-123"))
    assert result == ("returned", None), (
        "update_user(2, session_id='abc-123') must return None; {}".format(
            describe_outcome(result)))
    row = submission.stored_user(BOB)
    stored = None if row is None else row["session_id"]
    assert stored == "abc-123", (
        "after update_user(2, session_id='abc-123'), a new connection to "
        "a.db must see session_id 'abc-123' for user 2; it sees {} (a "
        "change that is not committed never reaches a.db and is lost when "
        "the program ends)".format(short(stored)))


def test_update_several_columns(submission: Submission) -> None:
    """Several keywords change several columns of that user only."""
    db = two_users(submission)
    db.update_user(1, hashed_password="new-hash", reset_token="tok")
    row = submission.stored_user(ANN) or {}
    got = (as_bytes(row.get("hashed_password")), row.get("reset_token"))
    assert got == (b"new-hash", "tok"), (
        "update_user(1, hashed_password='new-hash', reset_token='tok') must "
        "store both values for user 1; a.db holds {}".format(short(got)))
    other = submission.stored_user(BOB) or {}
    got = (as_bytes(other.get("hashed_password")), other.get("reset_token"))
    assert got == (b"bob-hash", None), (
        "update_user(1, ...) must change user 1 only; user 2 now has "
        "hashed_password and reset_token {}".format(short(got)))


def test_unknown_keyword_raises_value_error(submission: Submission) -> None:
    """A keyword that is not a column raises ValueError and adds nothing."""
    user_class = submission.get("user", "User")
    db = two_users(submission)
    result = outcome(lambda: db.update_user(1, no_such_column="x"))
    assert raised(result, ValueError), (
        "update_user(1, no_such_column='x') must raise ValueError, since "
        "a user has no such attribute; {}".format(describe_outcome(result)))
    user = db.find_user_by(id=1)
    assert not hasattr(user, "no_such_column"), (
        "update_user(1, no_such_column='x') must not create an attribute "
        "no_such_column on the {}: only a user's attributes may be "
        "set".format(
            user_class.type_name))


def test_a_refused_call_changes_nothing(submission: Submission) -> None:
    """An unknown keyword beside a real column raises and changes nothing.

    Nothing is left pending either: the next call's commit stores only
    that call's change.
    """
    db = one_user(submission)
    before = submission.stored_user(ANN)
    call = "update_user(1, session_id='s-1', no_such_column='x')"
    result = outcome(lambda: db.update_user(
        1, session_id="s-1", no_such_column="x"))
    assert raised(result, ValueError), (
        "{} must raise ValueError: a user has no attribute no_such_column; "
        "{}".format(call, describe_outcome(result)))
    after = submission.stored_user(ANN)
    assert after == before, (
        "{} raised ValueError, yet user 1 in a.db changed from {} to {}: a "
        "refused call must change nothing, not even session_id".format(
            call, short(before, 200), short(after, 200)))
    # A change left pending in the session would be stored by the next
    # commit: the next call, a right one, must store only its own change.
    db.update_user(1, reset_token="r-1")
    later = submission.stored_user(ANN)
    assert (later or {}).get("session_id") == (before or {}).get(
        "session_id"), (
        "{} raised ValueError, but its session_id='s-1' was left pending "
        "and the next call, update_user(1, reset_token='r-1'), stored it: "
        "check every keyword before setting any".format(call))


@given(changes=CHANGES)
def test_any_change_is_stored(submission: Submission,
                              changes: Dict[str, Any]) -> None:
    """For any new column values, a.db ends up holding exactly them."""
    db = two_users(submission)
    db.update_user(2, **changes)
    rows = submission.rows("SELECT * FROM users WHERE id = 2")
    names = [row[1] for row in submission.rows(
        "PRAGMA table_info(users)")]
    stored = dict(zip(names, rows[0])) if rows else {}
    wanted = {"id": 2, "email": BOB, "hashed_password": "bob-hash",
              "session_id": None, "reset_token": None}
    wanted.update(changes)
    got = {name: stored.get(name) for name in COLUMNS}
    got["hashed_password"] = as_bytes(got["hashed_password"])
    wanted["hashed_password"] = as_bytes(wanted["hashed_password"])
    assert got == wanted, (
        "after update_user(2, {}), user 2 in a.db must be {}; it is "
        "{}".format(", ".join("{}={!r}".format(name, value)
                              for name, value in changes.items()),
                    short(wanted, 200), short(got, 200)))


@given(name=NAMES)
def test_any_unknown_keyword_is_refused(submission: Submission,
                                        name: str) -> None:
    """For any name that is not a column, update_user raises ValueError."""
    user_class = submission.get("user", "User")
    assume(name not in COLUMNS and not hasattr(user_class, name))
    db = one_user(submission)
    result = outcome(lambda: db.update_user(1, **{name: "x"}))
    assert raised(result, ValueError), (
        "update_user(1, {}='x') must raise ValueError, since users has no "
        "column {}; {}".format(name, name, describe_outcome(result)))
