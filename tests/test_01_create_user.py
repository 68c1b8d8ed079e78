#!/usr/bin/env python3
"""Spec of step 01: DB.add_user in db.py saves a user for good."""
import gc
from typing import Any, List, Tuple

from hypothesis import given, strategies as st

from spec_support import Remote, Submission, as_bytes, is_instance, short

EMAIL = "bob@example.com"
HASH = "$2b$04$not.a.real.hash.but.a.stored.string"

# Small pools keep each example (a fresh a.db) cheap to run and to shrink.
# Each email comes once: refusing a second user with the same email is left
# to step 05, and a user model that makes email UNIQUE is a right answer.
USERS = st.lists(st.tuples(
    st.sampled_from(("ann@example.com", "bob@example.com", "zoé@exemple.fr",
                     "dan@example.com")),
    st.sampled_from(("$2b$04$first", "$2b$04$second", "plain text"))),
    min_size=1, max_size=4, unique_by=lambda user: user[0])


def fresh_db(submission: Submission) -> Remote:
    """Return a new DB() of the submission, once it is sure to add users."""
    submission.get("db", "DB.add_user")
    return submission.db()


def describe(value: Any) -> str:
    """Return what add_user returned, in words, for a failure message."""
    if isinstance(value, Remote):
        return "a {} object".format(value.type_name)
    return short(value)


def test_add_user_returns_the_user(submission: Submission) -> None:
    """add_user returns the new User object, not None or its id."""
    user_class = submission.get("user", "User")
    db = fresh_db(submission)
    user = db.add_user(EMAIL, HASH)
    assert is_instance(user, user_class), (
        "add_user must return the new User object; it returned {}".format(
            describe(user)))
    assert user.email == EMAIL and user.hashed_password == HASH, (
        "the User returned by add_user must carry the email and the hashed "
        "password it was given; it has email {} and hashed_password "
        "{}".format(short(user.email), short(user.hashed_password)))


def test_first_two_users_get_ids_1_and_2(submission: Submission) -> None:
    """In a fresh database the users are numbered 1, 2, ..."""
    db = fresh_db(submission)
    first = db.add_user("first@example.com", HASH)
    second = db.add_user("second@example.com", HASH)
    ids = (getattr(first, "id", None), getattr(second, "id", None))
    assert ids == (1, 2), (
        "in a fresh database the first two users returned by add_user must "
        "have ids 1 and 2; they have ids {}".format(short(ids)))


def test_user_is_committed(submission: Submission) -> None:
    """The row is visible from another connection: it was committed."""
    db = fresh_db(submission)
    db.add_user(EMAIL, HASH)
    row = submission.stored_user(EMAIL)
    assert row is not None, (
        "after add_user returns, a new connection to a.db must see the user; "
        "it sees no row (a user added to the session but not committed "
        "never reaches a.db and is lost when the program ends)")
    assert as_bytes(row["hashed_password"]) == as_bytes(HASH), (
        "the committed row must hold the hashed password add_user was "
        "given; it holds {}".format(short(row["hashed_password"])))


def test_fresh_db_is_empty(submission: Submission) -> None:
    """A new DB() starts from an empty users table."""
    db = fresh_db(submission)
    db.add_user(EMAIL, HASH)
    del db
    gc.collect()
    submission.db()
    count = submission.rows("SELECT COUNT(*) FROM users")[0][0]
    assert count == 0, (
        "a new DB() must drop and re-create the tables, leaving users empty; "
        "{} row(s) survived".format(count))


def add_and_read(submission: Submission,
                 users: List[Tuple[str, str]]) -> Tuple[List[Any], List[Any]]:
    """Add users to a fresh DB; return their ids and the committed rows.

    Only plain values leave this function, so that the DB and its session
    can be closed before an assertion fails: a session left open with
    uncommitted rows would lock a.db for the next example.
    """
    db = fresh_db(submission)
    ids = [getattr(db.add_user(email, hashed), "id", None)
           for email, hashed in users]
    rows = submission.rows(
        "SELECT id, email, hashed_password FROM users ORDER BY id")
    return ids, [(row[0], row[1], as_bytes(row[2])) for row in rows]


@given(users=USERS)
def test_every_user_is_stored_as_given(submission: Submission,
                                       users: List[Tuple[str, str]]) -> None:
    """Any users added in a fresh DB are committed, numbered 1..n, intact."""
    ids, stored = add_and_read(submission, users)
    expected_ids = list(range(1, len(users) + 1))
    wanted = [(number, email, as_bytes(hashed))
              for number, (email, hashed) in enumerate(users, 1)]
    if (ids, stored) != (expected_ids, wanted):
        # Close the DB before failing (collecting is too slow to do always).
        gc.collect()
    assert ids == expected_ids, (
        "in a fresh database, add_user must give the users ids {} in turn; "
        "they got {}".format(expected_ids, short(ids)))
    assert stored == wanted, (
        "a.db must hold exactly the committed users that add_user was "
        "given, ids and values unchanged; it holds {}".format(short(stored)))
