#!/usr/bin/env python3
"""Spec of step 02: DB.find_user_by in db.py finds the first match."""
from typing import Any, Dict, List, Tuple

from hypothesis import given, strategies as st
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm.exc import NoResultFound

from spec_support import (describe_outcome, is_instance, outcome, raised,
                          Submission, short)

# Small pools, so that several users often share a hash. Each email comes
# once: a user model that makes email UNIQUE is a right answer, and
# duplicate emails are step 05's to refuse.
EMAILS = ("ann@example.com", "bob@example.com", "cy@example.com",
          "dan@example.com")
HASHES = ("hash-one", "hash-two")
USERS = st.lists(st.tuples(st.sampled_from(EMAILS), st.sampled_from(HASHES)),
                 max_size=4, unique_by=lambda user: user[0])
IDS = st.integers(1, 7)
# Every non-empty combination of the three columns, without rejections.
FILTERS = st.one_of(
    st.fixed_dictionaries({"email": st.sampled_from(EMAILS)}, optional={
        "hashed_password": st.sampled_from(HASHES), "id": IDS}),
    st.fixed_dictionaries({"hashed_password": st.sampled_from(HASHES)},
                          optional={"id": IDS}),
    st.fixed_dictionaries({"id": IDS}))


def add_users(submission: Submission,
              users: List[Tuple[str, str]]) -> Any:
    """Return a fresh DB holding the given (email, hash) users in order."""
    submission.get("db", "DB.find_user_by")
    submission.get("db", "DB.add_user")
    db = submission.db()
    for email, hashed in users:
        db.add_user(email, hashed)
    return db


def matches(number: int, user: Tuple[str, str],
            wanted: Dict[str, Any]) -> bool:
    """Tell whether user number (1-based) has every wanted column value."""
    values = {"id": number, "email": user[0], "hashed_password": user[1]}
    return all(values[name] == value for name, value in wanted.items())


def test_finds_the_user_by_email(submission: Submission) -> None:
    """find_user_by(email=...) returns that user, a User object."""
    user_class = submission.get("user", "User")
    db = add_users(submission, [("ann@example.com", "h1"),
                                ("bob@example.com", "h2")])
    result = outcome(lambda: db.find_user_by(email="bob@example.com"))
    found = result[1]
    assert result[0] == "returned" and is_instance(found, user_class), (
        "find_user_by(email='bob@example.com') must return the User with "
        "that email; {}".format(describe_outcome(result)))
    assert (found.id, found.email) == (2, "bob@example.com"), (
        "find_user_by(email='bob@example.com') must return user 2, "
        "bob@example.com; {}".format(describe_outcome(result)))


def test_no_match_raises_no_result_found(submission: Submission) -> None:
    """When no user matches, NoResultFound is raised, not None returned."""
    db = add_users(submission, [("ann@example.com", "h1")])
    result = outcome(lambda: db.find_user_by(email="nobody@example.com"))
    assert raised(result, NoResultFound), (
        "find_user_by with no matching user must raise SQLAlchemy's "
        "NoResultFound (sqlalchemy.orm.exc); {}".format(
            describe_outcome(result)))


def test_several_matches_return_the_first(submission: Submission) -> None:
    """Two matching users are no error: the first one is returned."""
    db = add_users(submission, [("ann@example.com", "same"),
                                ("bob@example.com", "same")])
    result = outcome(lambda: db.find_user_by(hashed_password="same"))
    found = result[1]
    assert result[0] == "returned" and getattr(found, "id", None) == 1, (
        "when two users match, find_user_by must return the first one "
        "(id 1), not fail because the match is not unique; {}".format(
            describe_outcome(result)))


def test_all_filters_must_match(submission: Submission) -> None:
    """Several keywords are AND-ed: a user matching only one is no match."""
    db = add_users(submission, [("ann@example.com", "h1"),
                                ("bob@example.com", "h2")])
    result = outcome(lambda: db.find_user_by(email="bob@example.com",
                                             hashed_password="h1"))
    assert raised(result, NoResultFound), (
        "find_user_by(email='bob@example.com', hashed_password='h1') must "
        "raise NoResultFound: no user has both values, and a user must "
        "match every keyword, not just one; {}".format(
            describe_outcome(result)))
    result = outcome(lambda: db.find_user_by(email="bob@example.com",
                                             hashed_password="h2"))
    assert result[0] == "returned" and getattr(result[1], "id", 0) == 2, (
        "find_user_by(email='bob@example.com', hashed_password='h2') must "
        "return user 2, who has both values; {}".format(
            describe_outcome(result)))


def test_unknown_column_raises_invalid_request_error(
        submission: Submission) -> None:
    """A keyword that is not a column raises InvalidRequestError."""
    db = add_users(submission, [("ann@example.com", "h1")])
    result = outcome(lambda: db.find_user_by(no_such_column="x"))
    assert raised(result, InvalidRequestError), (
            "find_user_by(no_such_column='x') must raise SQLAlchemy's "
            "InvalidRequestError (sqlalchemy.exc), since users has no such "
            "column; {}".format(describe_outcome(result)))


@given(users=USERS, wanted=FILTERS)
def test_returns_the_first_user_matching_every_keyword(
        submission: Submission, users: List[Tuple[str, str]],
        wanted: Dict[str, Any]) -> None:
    """For any users and filters: the first full match, or NoResultFound."""
    db = add_users(submission, users)
    first = next((number for number, user in enumerate(users, 1)
                  if matches(number, user, wanted)), None)
    result = outcome(lambda: db.find_user_by(**wanted))
    call = "find_user_by({})".format(", ".join(
        "{}={!r}".format(name, value) for name, value in wanted.items()))
    if first is None:
        assert raised(result, NoResultFound), (
                "with the users {}, {} must raise NoResultFound: no user "
                "matches every keyword; {}".format(
                    short(users), call, describe_outcome(result)))
    else:
        assert result[0] == "returned" and \
            getattr(result[1], "id", None) == first, (
                "with the users {}, {} must return user {}, the first who "
                "matches every keyword; {}".format(
                    short(users), call, first, describe_outcome(result)))
