#!/usr/bin/env python3
"""The authentication service's HTTP end-points; they talk only to Auth."""
from flask import Flask, Response, abort, jsonify, redirect, request, url_for

from auth import Auth

app = Flask(__name__)
AUTH = Auth()


@app.route("/", methods=["GET"])
def index() -> Response:
    """Greet the visitor."""
    return jsonify({"message": "Bienvenue"})


@app.route("/users", methods=["POST"])
def users() -> Response:
    """Register the user given by the form's email and password."""
    email = request.form["email"]
    try:
        AUTH.register_user(email, request.form["password"])
    except ValueError:
        response = jsonify({"message": "email already registered"})
        response.status_code = 400
        return response
    return jsonify({"email": email, "message": "user created"})


@app.route("/sessions", methods=["POST"])
def login() -> Response:
    """Log the user in and hand out a session cookie."""
    email = request.form["email"]
    if not AUTH.valid_login(email, request.form["password"]):
        abort(401)
    response = jsonify({"email": email, "message": "logged in"})
    response.set_cookie("session_id", AUTH.create_session(email))
    return response


@app.route("/sessions", methods=["DELETE"])
def logout() -> Response:
    """End the session named by the cookie and go back to the index."""
    user = AUTH.get_user_from_session_id(request.cookies.get("session_id"))
    if user is None:
        abort(403)
    AUTH.destroy_session(user.id)
    return redirect(url_for("index"))


@app.route("/profile", methods=["GET"])
def profile() -> Response:
    """Show the email of the logged-in user."""
    user = AUTH.get_user_from_session_id(request.cookies.get("session_id"))
    if user is None:
        abort(403)
    return jsonify({"email": user.email})


@app.route("/reset_password", methods=["POST"])
def get_reset_password_token() -> Response:
    """Hand out a password reset token for a registered email."""
    email = request.form["email"]
    try:
        token = AUTH.get_reset_password_token(email)
    except ValueError:
        abort(403)
    return jsonify({"email": email, "reset_token": token})


@app.route("/reset_password", methods=["PUT"])
def update_password() -> Response:
    """Set a new password, given a valid reset token."""
    email = request.form.get("email")
    try:
        AUTH.update_password(request.form.get("reset_token"),
                             request.form["new_password"])
    except ValueError:
        abort(403)
    return jsonify({"email": email, "message": "Password updated"})


if __name__ == "__main__":
    # One thread: the DB class keeps one SQLite session for all requests.
    app.run(host="0.0.0.0", port=5000, threaded=False)
