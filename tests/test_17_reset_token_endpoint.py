#!/usr/bin/env python3
"""Spec of step 17: POST /reset_password in app.py hands out reset tokens."""
from typing import Any

from spec_support import Answer, Client, Submission, read_json, send, \
    short

EMAIL = "bob@example.com"
OTHER = "alice@example.com"
PASSWORD = "correct horse"


def client_with_users(submission: Submission, *emails: str) -> Client:
    """Return a test client of the app on which the emails are registered."""
    client = submission.client()
    for email in emails:
        response = send(submission, client, "POST", "/users",
                        data={"email": email, "password": PASSWORD})
        assert response.status_code == 200, (
            "registering {} with POST /users (step 7) must answer 200 before "
            "a reset token can be asked; it answered {}".format(
                email, response.status_code))
    return client


def ask_token(submission: Submission, client: Client, email: str) -> Answer:
    """Send POST /reset_password with the email as form data."""
    return send(submission, client, "POST", "/reset_password",
                data={"email": email})


def token_body(submission: Submission, client: Client, email: str) -> Any:
    """Ask a token for a registered email; return the JSON body of the 200."""
    response = ask_token(submission, client, email)
    assert response.status_code == 200, (
        "POST /reset_password with the form field email of a registered "
        "user must answer 200; it answered {}".format(response.status_code))
    return read_json(response)


def test_unregistered_email_is_forbidden(submission: Submission) -> None:
    """An email nobody registered gets 403, even when others exist."""
    client = client_with_users(submission, EMAIL, OTHER)
    response = ask_token(submission, client, "nobody@example.com")
    assert response.status_code == 403, (
        "POST /reset_password with an email nobody registered must answer "
        "403; it answered {}".format(response.status_code))


def test_empty_database_is_forbidden(submission: Submission) -> None:
    """With no user at all, every email gets 403."""
    client = client_with_users(submission)
    response = ask_token(submission, client, EMAIL)
    assert response.status_code == 403, (
        "POST /reset_password when no user is registered must answer 403; "
        "it answered {}".format(response.status_code))


def test_registered_email_gets_200(submission: Submission) -> None:
    """A registered email gets 200 with a JSON body.

    Its content type is free: only step 06's contract fixes that one.
    """
    client = client_with_users(submission, EMAIL)
    response = ask_token(submission, client, EMAIL)
    assert response.status_code == 200, (
        "POST /reset_password with the form field email of a registered "
        "user must answer 200; it answered {}".format(response.status_code))
    assert isinstance(read_json(response), dict), (
        "POST /reset_password must answer a JSON object (use jsonify); it "
        "answered {}".format(short(response.get_data(as_text=True))))


def test_body_is_email_and_token(submission: Submission) -> None:
    """The body is exactly the email and the token."""
    client = client_with_users(submission, EMAIL)
    body = token_body(submission, client, EMAIL)
    assert isinstance(body, dict) and set(body) == {"email", "reset_token"}, (
        "POST /reset_password must answer the JSON object {{\"email\": ..., "
        "\"reset_token\": ...}}; it answered {}".format(short(body)))
    assert body["email"] == EMAIL, (
        "the answer's email must be the one asked for, {!r}; it is {}".format(
            EMAIL, short(body["email"])))
    assert isinstance(body["reset_token"], str) and body["reset_token"], (
        "the answer's reset_token must be the token as a string; it is "
        "{}".format(short(body["reset_token"])))


def test_token_is_the_stored_one(submission: Submission) -> None:
    """The token answered is the one saved for the user in a.db."""
    client = client_with_users(submission, OTHER, EMAIL)
    token = (token_body(submission, client, EMAIL) or {}).get("reset_token")
    stored = (submission.stored_user(EMAIL) or {}).get("reset_token")
    assert token is not None and token == stored, (
        "the reset_token that POST /reset_password answers must be the one "
        "saved for {} in a.db, or it can never be used; it answered {}, "
        "a.db holds {}".format(EMAIL, short(token), short(stored)))


def test_each_request_gets_the_latest_token(submission: Submission) -> None:
    """Asking twice gives two tokens; the second is the one stored."""
    client = client_with_users(submission, EMAIL)
    first = (token_body(submission, client, EMAIL) or {}).get("reset_token")
    second = (token_body(submission, client, EMAIL) or {}).get("reset_token")
    stored = (submission.stored_user(EMAIL) or {}).get("reset_token")
    assert first != second, (
        "two POST /reset_password for the same email must answer two "
        "different tokens; both answered {}".format(short(first)))
    assert second == stored, (
        "after two POST /reset_password, a.db must hold the token of the "
        "second answer, {}; it holds {}".format(short(second), short(stored)))
