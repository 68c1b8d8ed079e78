#!/usr/bin/env python3
"""Spec of step 19: PUT /reset_password in app.py sets a new password."""
import uuid
from typing import Any, Dict, Tuple

import pytest

from spec_support import Answer, Client, Submission, read_json, send, \
    short

EMAIL = "bob@example.com"
OTHER = "alice@example.com"
OLD = "old password"
NEW = "new password"

# Wrong tokens, by what a student would call them. An empty token is not part
# of this step's contract.
BAD_TOKENS = {"unknown": str(uuid.uuid4()), "made-up": "not-a-token"}


def set_up(submission: Submission) -> Tuple[Client, str]:
    """Register EMAIL and OTHER, ask EMAIL's token; return client, token."""
    client = submission.client()
    for email in (EMAIL, OTHER):
        response = send(submission, client, "POST", "/users",
                        data={"email": email, "password": OLD})
        assert response.status_code == 200, (
            "registering {} with POST /users (step 7) must answer 200 before "
            "a password can be reset; it answered {}".format(
                email, response.status_code))
    response = send(submission, client, "POST", "/reset_password",
                    data={"email": EMAIL})
    body = read_json(response)
    body = body if isinstance(body, dict) else {}
    assert response.status_code == 200 and body.get("reset_token"), (
        "POST /reset_password (step 17) must hand out a reset token before "
        "PUT /reset_password can use it; it answered {} {}".format(
            response.status_code, short(body)))
    return client, body["reset_token"]


def stored_hashes(submission: Submission) -> Dict[str, Any]:
    """Return the committed hashed_password of both users."""
    return {email: (submission.stored_user(email) or {}).get(
        "hashed_password") for email in (EMAIL, OTHER)}


def reset(submission: Submission, client: Client,
          form: Dict[str, str]) -> Answer:
    """Send PUT /reset_password with the form."""
    return send(submission, client, "PUT", "/reset_password", data=form)


def log_in(submission: Submission, client: Client, password: str) -> int:
    """Return the status of POST /sessions for EMAIL with the password."""
    return send(submission, client, "POST", "/sessions",
                data={"email": EMAIL, "password": password}).status_code


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_invalid_token_is_forbidden(submission: Submission,
                                    kind: str) -> None:
    """A token that belongs to nobody gets 403 and changes nothing."""
    client, _ = set_up(submission)
    before = stored_hashes(submission)
    response = reset(submission, client, {
        "email": EMAIL, "reset_token": BAD_TOKENS[kind],
        "new_password": NEW})
    assert response.status_code == 403, (
        "PUT /reset_password with an invalid ({}) reset_token {} must answer "
        "403; it answered {}".format(kind, short(BAD_TOKENS[kind]),
                                     response.status_code))
    assert stored_hashes(submission) == before, (
        "PUT /reset_password with an invalid reset_token must change no "
        "password; a stored hash changed")


def test_missing_token_is_forbidden(submission: Submission) -> None:
    """No reset_token field gets 403 and resets nobody's password."""
    client, _ = set_up(submission)
    before = stored_hashes(submission)
    response = reset(submission, client, {"email": OTHER, "new_password": NEW})
    changed = [email for email, value in stored_hashes(submission).items()
               if value != before[email]]
    assert not changed, (
        "PUT /reset_password without a reset_token changed the password of "
        "{}: anyone could then take over the accounts of users who never "
        "asked for a reset".format(", ".join(changed)))
    assert response.status_code == 403, (
        "PUT /reset_password without a reset_token field must answer 403; "
        "it answered {}".format(response.status_code))


def test_valid_token_answers_200(submission: Submission) -> None:
    """A valid token gets 200 with the email and 'Password updated'."""
    client, token = set_up(submission)
    response = reset(submission, client, {
        "email": EMAIL, "reset_token": token, "new_password": NEW})
    assert response.status_code == 200, (
        "PUT /reset_password with a valid reset_token must answer 200; it "
        "answered {}".format(response.status_code))
    body = read_json(response)
    expected = {"email": EMAIL, "message": "Password updated"}
    assert body == expected, (
        "PUT /reset_password with a valid reset_token must answer the JSON "
        "{}; it answered {}".format(short(expected),
                                    short(body or response.data)))


def test_new_password_logs_in(submission: Submission) -> None:
    """After the reset, POST /sessions accepts the new password only."""
    client, token = set_up(submission)
    status = reset(submission, client, {
        "email": EMAIL, "reset_token": token,
        "new_password": NEW}).status_code
    assert status == 200, (
        "PUT /reset_password with a valid reset_token must answer 200; it "
        "answered {}".format(status))
    status = log_in(submission, client, NEW)
    assert status == 200, (
        "after PUT /reset_password, POST /sessions with the new password "
        "must answer 200; it answered {}".format(status))
    status = log_in(submission, client, OLD)
    assert status == 401, (
        "after PUT /reset_password, POST /sessions with the old password "
        "must answer 401; it answered {}".format(status))


def test_token_serves_once(submission: Submission) -> None:
    """A second PUT with the same token gets 403 and changes nothing."""
    client, token = set_up(submission)
    status = reset(submission, client, {
        "email": EMAIL, "reset_token": token,
        "new_password": NEW}).status_code
    assert status == 200, (
        "PUT /reset_password with a valid reset_token must answer 200; it "
        "answered {}".format(status))
    before = stored_hashes(submission)
    response = reset(submission, client, {
        "email": EMAIL, "reset_token": token,
        "new_password": "third password"})
    assert response.status_code == 403, (
        "a reset token serves once: a second PUT /reset_password with it "
        "must answer 403; it answered {}".format(response.status_code))
    assert stored_hashes(submission) == before, (
        "a second PUT /reset_password with a used token must change no "
        "password; a stored hash changed")
