#!/usr/bin/env python3
"""Spec of step 07: POST /users registers a user through the app's AUTH."""
import json
from typing import Any, List, Tuple

import bcrypt

from spec_support import (Answer, Client, Remote, Submission, as_bytes,
                          describe_answer, is_instance, send, short)

EMAIL = "bob@example.com"
PASSWORD = "MyPwdOfBob"
OTHER_EMAIL = "Alice.Smith+kata@example.org"
OTHER_PASSWORD = "s3cr3t & sp@ces"
DUPLICATE = {"message": "email already registered"}


def register(submission: Submission, client: Client, email: str,
             password: str) -> Answer:
    """POST the form fields email and password to /users."""
    return send(submission, client, "POST", "/users",
                data={"email": email, "password": password})


def json_body(response: Answer) -> Any:
    """Return the response's body read as JSON, or its text if it is not."""
    text = response.get_data(as_text=True)
    try:
        return json.loads(text)
    except ValueError:
        return text


def posted(email: str, password: str) -> str:
    """Return, in words, the form a registration posts."""
    return "the form fields email={} and password={}".format(
        short(email), short(password))


def answered(response: Answer) -> str:
    """Return a response in words, with what Flask's 415 and 500 mean."""
    words = describe_answer(response)
    if response.status_code == 415:
        words += (" (Flask answers 415 when a view reads request.json or "
                  "request.get_json() of a request that is not JSON; this "
                  "one sent form data)")
    if response.status_code == 500 and response.status_code.raised is None:
        words += (" (Flask answers 500 when the view raises an exception "
                  "that nothing catches)")
    return words


def assert_created(response: Answer, email: str, password: str) -> None:
    """Check the answer to the registration of a new email."""
    expected = {"email": email, "message": "user created"}
    assert response.status_code == 200 and \
        json_body(response) == expected, (
            "POST /users with {} of a new user must answer 200 with the "
            "JSON {}; it answered {}".format(
                posted(email, password), json.dumps(expected),
                answered(response)))


def test_auth_is_a_module_level_auth(submission: Submission) -> None:
    """app.py creates AUTH, an Auth, when it is imported."""
    auth = submission.get("app", "AUTH")
    auth_class = submission.get("auth", "Auth")
    assert is_instance(auth, auth_class), (
        "AUTH in app.py must be an Auth object (AUTH = Auth()); it is "
        "{}".format(short(auth)))


def test_new_user_answers_user_created(submission: Submission) -> None:
    """A new email answers 200 with its email and "user created"."""
    client = submission.client()
    assert_created(register(submission, client, EMAIL, PASSWORD), EMAIL,
                   PASSWORD)
    assert_created(register(submission, client, OTHER_EMAIL, OTHER_PASSWORD),
                   OTHER_EMAIL, OTHER_PASSWORD)


def test_new_user_is_stored_with_its_password(
        submission: Submission) -> None:
    """The user is saved in a.db with a hash of the form's password."""
    client = submission.client()
    response = register(submission, client, EMAIL, PASSWORD)
    row = submission.stored_user(EMAIL)
    assert row is not None, (
        "POST /users with {} must register the user in a.db; it answered "
        "{}, and a.db holds no user {}".format(
            posted(EMAIL, PASSWORD), answered(response), EMAIL))
    hashed = as_bytes(row["hashed_password"])
    try:
        accepted = bcrypt.checkpw(PASSWORD.encode("utf-8"), hashed)
    except (TypeError, ValueError):
        accepted = False
    assert accepted, (
        "POST /users must register the user with the form's password (its "
        "bcrypt hash); the stored hash {} does not match the password "
        "{}".format(short(row["hashed_password"]), short(PASSWORD)))


def register_user_calls(submission: Submission,
                        auth: Remote) -> List[Tuple[Any, ...]]:
    """Return the arguments of the calls of AUTH.register_user a spy saw.

    A call by keywords (email=..., password=...) counts as the same call
    made with positional arguments.
    """
    recorded = submission.connection.request("calls", auth, "register_user")
    calls: List[Tuple[Any, ...]] = []
    for call in recorded if isinstance(recorded, list) else []:
        if not (isinstance(call, list) and len(call) == 2 and
                isinstance(call[0], list) and isinstance(call[1], dict)):
            continue
        arguments, keywords = list(call[0]), dict(call[1])
        for name in ("email", "password"):
            if name in keywords:
                arguments.append(keywords.pop(name))
        calls.append(tuple(arguments) + tuple(sorted(keywords.items())))
    return calls


def test_registration_goes_through_auth(submission: Submission) -> None:
    """POST /users registers the user with AUTH.register_user."""
    client = submission.client()
    auth = submission.get("app", "AUTH")
    submission.get("app", "AUTH.register_user")
    submission.spy(auth, "register_user")
    response = register(submission, client, EMAIL, PASSWORD)
    calls = register_user_calls(submission, auth)
    assert calls == [(EMAIL, PASSWORD)], (
        "POST /users with {} must call AUTH.register_user({}, {}) once; "
        "it answered {}, and the calls of AUTH.register_user were "
        "{}".format(posted(EMAIL, PASSWORD), short(EMAIL), short(PASSWORD),
                    answered(response), short(calls)))


def register_twice(submission: Submission) -> Tuple[Answer, Answer]:
    """Post the same email twice, with two passwords; return both answers."""
    client = submission.client()
    first = register(submission, client, EMAIL, PASSWORD)
    return first, register(submission, client, EMAIL, "another" + PASSWORD)


def twice(first: Answer, second: Answer) -> str:
    """Return, in words, what two registrations of one email answered."""
    return ("a second POST /users of the same email ({}) answered {}; the "
            "first answered {}".format(
                posted(EMAIL, "another" + PASSWORD), answered(second),
                describe_answer(first)))


def test_duplicate_email_answers_400(submission: Submission) -> None:
    """Registering an email twice answers 400 the second time."""
    first, second = register_twice(submission)
    assert second.status_code == 400, (
        "POST /users with an already registered email must answer 400; "
        "{}".format(twice(first, second)))


def test_duplicate_email_answers_the_message(submission: Submission) -> None:
    """The 400 answer says the email is already registered."""
    first, second = register_twice(submission)
    assert json_body(second) == DUPLICATE, (
        "POST /users with an already registered email must answer the JSON "
        "{}; {}".format(json.dumps(DUPLICATE), twice(first, second)))
