#!/usr/bin/env python3
"""End-to-end test of the authentication service running on port 5000."""
import requests

URL = "http://localhost:5000"
EMAIL = "guillaume@holberton.io"
PASSWD = "b4l0u"
NEW_PASSWD = "t4rt1fl3tt3"


def register_user(email: str, password: str) -> None:
    """Register a new user and expect a confirmation."""
    response = requests.post(URL + "/users",
                             data={"email": email, "password": password})
    assert response.status_code == 200, response.status_code
    assert response.json() == {"email": email, "message": "user created"}


def log_in_wrong_password(email: str, password: str) -> None:
    """Log in with a wrong password and expect a refusal."""
    response = requests.post(URL + "/sessions",
                             data={"email": email, "password": password})
    assert response.status_code == 401, response.status_code
    assert "session_id" not in response.cookies


def log_in(email: str, password: str) -> str:
    """Log in and return the session id the service sets as a cookie."""
    response = requests.post(URL + "/sessions",
                             data={"email": email, "password": password})
    assert response.status_code == 200, response.status_code
    assert response.json() == {"email": email, "message": "logged in"}
    session_id = response.cookies.get("session_id")
    assert session_id, "no session_id cookie"
    return session_id


def profile_unlogged() -> None:
    """Ask for the profile without a session and expect a refusal."""
    response = requests.get(URL + "/profile")
    assert response.status_code == 403, response.status_code


def profile_logged(session_id: str) -> None:
    """Ask for the profile with a session and expect the user's email."""
    response = requests.get(URL + "/profile",
                            cookies={"session_id": session_id})
    assert response.status_code == 200, response.status_code
    assert response.json() == {"email": EMAIL}


def log_out(session_id: str) -> None:
    """Log out, expect a redirect home, and check the session is over."""
    response = requests.delete(URL + "/sessions",
                               cookies={"session_id": session_id})
    assert [r.status_code for r in response.history] == [302]
    assert response.json() == {"message": "Bienvenue"}
    response = requests.get(URL + "/profile",
                            cookies={"session_id": session_id})
    assert response.status_code == 403, "the session outlived the logout"


def reset_password_token(email: str) -> str:
    """Ask for a reset token and return it."""
    response = requests.post(URL + "/reset_password", data={"email": email})
    assert response.status_code == 200, response.status_code
    payload = response.json()
    assert payload["email"] == email
    assert payload["reset_token"], "no reset token"
    return payload["reset_token"]


def update_password(email: str, reset_token: str, new_password: str) -> None:
    """Change the password with the reset token and expect a confirmation."""
    response = requests.put(URL + "/reset_password",
                            data={"email": email, "reset_token": reset_token,
                                  "new_password": new_password})
    assert response.status_code == 200, response.status_code
    assert response.json() == {"email": email, "message": "Password updated"}


if __name__ == "__main__":
    register_user(EMAIL, PASSWD)
    log_in_wrong_password(EMAIL, NEW_PASSWD)
    profile_unlogged()
    session_id = log_in(EMAIL, PASSWD)
    profile_logged(session_id)
    log_out(session_id)
    reset_token = reset_password_token(EMAIL)
    update_password(EMAIL, reset_token, NEW_PASSWD)
    log_in(EMAIL, NEW_PASSWD)
