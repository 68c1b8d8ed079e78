#!/usr/bin/env python3
"""Spec of step 09: the module-level function _generate_uuid in auth.py."""
import uuid
from typing import Any

import pytest

from spec_support import (describe_exception, Remote, RemoteError,
                          Submission, short, text_shape)

CALLS = 1000


def kind_name(value: Any) -> str:
    """Return the short name of a value's class, local or in the subject."""
    if isinstance(value, Remote):
        return value.type_name
    return type(value).__name__


def generate(submission: Submission) -> Any:
    """Call the submission's _generate_uuid() once and return its result."""
    function = submission.get("auth", "_generate_uuid")
    try:
        return function()
    except RemoteError as error:  # an error of student code is a finding
        pytest.fail("_generate_uuid() must take no argument and return a "
                    "string; calling it raised {}".format(
                        describe_exception(error, submission.root)),
                    pytrace=False)


def test_returns_a_string(submission: Submission) -> None:
    """_generate_uuid() returns a str, not a UUID object."""
    value = generate(submission)
    assert isinstance(value, str), (
        "_generate_uuid() must return the text form of a UUID (a str); it "
        "returned a {}: {}".format(kind_name(value), short(value)))


def test_string_is_a_uuid(submission: Submission) -> None:
    """The returned text is one that uuid.UUID() reads back as a UUID."""
    value = generate(submission)
    if not isinstance(value, str):
        pytest.fail("_generate_uuid() must return a str; it returned a "
                    "{}".format(kind_name(value)), pytrace=False)
    try:
        uuid.UUID(value)
    except ValueError:
        pytest.fail("_generate_uuid() must return the text of a UUID, which "
                    "uuid.UUID() can read back; it fails on what it "
                    "returned, {}".format(text_shape(value)), pytrace=False)


def test_every_call_gives_a_new_value(submission: Submission) -> None:
    """Many calls never give the same value twice."""
    values = [generate(submission) for _ in range(CALLS)]
    distinct = len(set(map(str, values)))
    assert distinct == CALLS, (
        "every call of _generate_uuid() must give a new identifier, or two "
        "sessions could share one; {} calls gave only {} different "
        "value(s), e.g. {}".format(CALLS, distinct, short(values[0])))
