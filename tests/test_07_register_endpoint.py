#!/usr/bin/env python3
"""Spec of step 07: POST /users registers a user through the app's AUTH."""
import json
from typing import Any, List, Tuple

import bcrypt
import pytest

from spec_support import (Answer, Client, Remote, Submission, as_bytes,
                          is_instance, send, short)

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


def assert_created(response: Answer, email: str) -> None:
    """Check the answer to the registration of a new email."""
    assert response.status_code == 200, (
        "POST /users with the form fields email and password of a new user "
        "must answer 200; it answered {} (the fields arrive as form data, "
        "request.form, not as JSON)".format(response.status_code))
    expected = {"email": email, "message": "user created"}
    body = json_body(response)
    assert body == expected, (
        "POST /users for a new user must answer the JSON {}; it answered "
        "{}".format(json.dumps(expected), short(body)))


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
    assert_created(register(submission, client, EMAIL, PASSWORD), EMAIL)
    assert_created(register(submission, client, OTHER_EMAIL, OTHER_PASSWORD),
                   OTHER_EMAIL)


def test_new_user_is_stored_with_its_password(
        submission: Submission) -> None:
    """The user is saved in a.db with a hash of the form's password."""
    client = submission.client()
    register(submission, client, EMAIL, PASSWORD)
    row = submission.stored_user(EMAIL)
    assert row is not None, (
        "POST /users must register the user in a.db; after it, no user "
        "{} is stored".format(EMAIL))
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
    register(submission, client, EMAIL, PASSWORD)
    calls = register_user_calls(submission, auth)
    assert calls == [(EMAIL, PASSWORD)], (
        "POST /users must register the user by calling "
        "AUTH.register_user(email, password) once, with the form's fields; "
        "the calls were {}".format(short(calls)))


def test_duplicate_email_answers_400(submission: Submission) -> None:
    """Registering an email twice answers 400 the second time."""
    client = submission.client()
    register(submission, client, EMAIL, PASSWORD)
    response = register(submission, client, EMAIL, "another" + PASSWORD)
    if response.status_code == 200:
        pytest.fail("POST /users with an already registered email must "
                    "answer 400; it answered 200, as if a second account "
                    "had been created", pytrace=False)
    if response.status_code == 500:
        pytest.fail("POST /users with an already registered email must "
                    "answer 400; it answered 500, a server error: catch the "
                    "ValueError of AUTH.register_user", pytrace=False)
    assert response.status_code == 400, (
        "POST /users with an already registered email must answer 400 (catch "
        "the ValueError of AUTH.register_user); it answered {}".format(
            response.status_code))


def test_duplicate_email_answers_the_message(submission: Submission) -> None:
    """The 400 answer says the email is already registered."""
    client = submission.client()
    register(submission, client, EMAIL, PASSWORD)
    response = register(submission, client, EMAIL, PASSWORD)
    body = json_body(response)
    assert body == DUPLICATE, (
        "POST /users with an already registered email must answer the JSON "
        "{}; it answered {}".format(json.dumps(DUPLICATE), short(body)))
