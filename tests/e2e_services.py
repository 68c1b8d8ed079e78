#!/usr/bin/env python3
"""What the end-to-end spec (step 20) needs: services to test main.py against.

A student's ``main.py`` talks to a service at ``http://localhost:5000``. The
spec serves one there, runs ``main.py`` as ``__main__`` and reads its exit
status and output. This module provides:

- ``make_service(broken)``: an in-memory Flask implementation of the whole
  service (a dict of users, no database, no bcrypt). With ``broken=None`` it
  behaves as the task says; with a name from ``BREAKS`` exactly one
  end-point behaviour is wrong, in a way the prescribed ``__main__``
  sequence of ``main.py`` can see. It takes request bodies of at most
  ``BODY_LIMIT`` bytes, all in memory: a longer body (with or without a
  Content-Length) and any file upload are answered 413, and nothing is
  ever spooled to disk.
- ``serving(app, log, unix_socket)``: serves any WSGI application,
  single-threaded, from a forked child process of the judge, so that a
  crashing service cannot take the test down. In a sandbox it listens on a
  Unix socket that the sandbox's relay forwards its port 5000 to;
  elsewhere on 127.0.0.1:5000 itself, bound first so that a busy port is
  reported at once, as a ``ServiceError``.

main.py itself runs in the subject (``Submission.run_main``); nothing of the
services is reachable from it but their end-points.
"""
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, NamedTuple, Optional, Tuple

from flask import Flask, Request, Response, abort, jsonify, redirect, \
    request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, make_server

HOST = "127.0.0.1"
PORT = 5000
TIME_LIMIT = 20.0
PORT_IN_USE = ("port 5000 is in use by another program; stop it and run "
               "again")
TAIL_BYTES = 4000
# The exercise's requests are small forms (an email, a password, a token);
# 8 KB is many times what they need.
BODY_LIMIT = 8 * 1024


class Break(NamedTuple):
    """One wrong behaviour of the service, and what main.py must assert."""

    what: str
    fix: str


# Each break is seen by the prescribed sequence of main.py when its
# functions assert the status codes and payloads the task gives.
BREAKS: Dict[str, Break] = {
    "register-rejects-new-user": Break(
        "POST /users answers 400 to a new email (while registering it)",
        "its register_user must assert the status code 200"),
    "register-wrong-payload": Break(
        "POST /users confirms a new user with the message "
        "'user registered'",
        "its register_user must assert the payload "
        "{\"email\": <email>, \"message\": \"user created\"}"),
    "wrong-password-accepted": Break(
        "POST /sessions accepts a wrong password",
        "its log_in_wrong_password must assert the status code 401"),
    "login-sets-no-cookie": Break(
        "POST /sessions logs the user in but sets no session_id cookie",
        "its log_in must assert that the session_id cookie is set (and "
        "profile_logged must assert the status code 200)"),
    "login-wrong-payload": Break(
        "POST /sessions confirms a login with the message 'welcome'",
        "its log_in must assert the payload "
        "{\"email\": <email>, \"message\": \"logged in\"}"),
    "profile-open-without-session": Break(
        "GET /profile shows a user's email to a request without a "
        "session_id cookie",
        "its profile_unlogged must assert the status code 403"),
    "profile-refuses-valid-session": Break(
        "GET /profile answers 403 to a valid session",
        "its profile_logged must assert the status code 200"),
    "profile-shows-wrong-email": Break(
        "GET /profile shows another email than the logged-in user's",
        "its profile_logged must assert the payload {\"email\": EMAIL}"),
    "logout-refuses-valid-session": Break(
        "DELETE /sessions answers 403 to a valid session",
        "its log_out must assert the redirect: the status code 302, or "
        "200 from GET / when requests follows it"),
    "logout-does-not-redirect": Break(
        "DELETE /sessions answers 200 {\"message\": \"logged out\"} "
        "instead of redirecting to GET /",
        "its log_out must assert the redirect: the status code 302, or "
        "the payload {\"message\": \"Bienvenue\"} of GET / when requests "
        "follows it"),
    "reset-token-refused": Break(
        "POST /reset_password answers 403 to a registered email",
        "its reset_password_token must assert the status code 200"),
    "reset-token-wrong-email": Break(
        "POST /reset_password answers with another email in its payload",
        "its reset_password_token must assert the payload "
        "{\"email\": <email>, \"reset_token\": <a token>}"),
    "reset-token-missing-from-payload": Break(
        "POST /reset_password leaves reset_token out of its payload",
        "its reset_password_token must assert that the payload holds the "
        "email and a reset_token"),
    "password-update-refused": Break(
        "PUT /reset_password answers 403 to a valid reset token",
        "its update_password must assert the status code 200"),
    "password-update-wrong-payload": Break(
        "PUT /reset_password confirms with the message 'Password changed'",
        "its update_password must assert the payload "
        "{\"email\": <email>, \"message\": \"Password updated\"}"),
    "password-update-ignored": Break(
        "PUT /reset_password answers 200 but keeps the old password",
        "its __main__ sequence must end by logging in with NEW_PASSWD, "
        "and log_in must assert the status code 200"),
}


class ServiceError(Exception):
    """The service cannot be started (the port is taken, for example)."""


class InMemoryRequest(Request):
    """A request whose form parts are never written to a temporary file.

    Werkzeug spools an uploaded file to disk once it is large; the service
    needs no upload at all, so a file part is refused (413) before anything
    of it is stored. Other form fields stay in memory, within BODY_LIMIT.
    """

    def _load_form_data(self) -> None:
        """Read the body into memory, up to the cap, then parse the form.

        Werkzeug cuts a body without a Content-Length (chunked) at the
        cap silently, and the form would be parsed from its first part: a
        body that reaches the cap is refused (413) instead.
        """
        if len(self.get_data(cache=True)) >= BODY_LIMIT:
            raise RequestEntityTooLarge()
        super()._load_form_data()

    def _get_file_stream(self, total_content_length: Optional[int],
                         content_type: Optional[str],
                         filename: Optional[str] = None,
                         content_length: Optional[int] = None) -> Any:
        """Refuse to store an uploaded file anywhere."""
        raise RequestEntityTooLarge("the service takes no file uploads")


def make_service(broken: Optional[str] = None) -> Flask:
    """Return an in-memory service, right or with one break of BREAKS."""
    if broken is not None and broken not in BREAKS:
        raise KeyError("no break is named {!r}".format(broken))
    app = Flask(__name__)
    app.request_class = InMemoryRequest
    app.config.update(MAX_CONTENT_LENGTH=BODY_LIMIT,
                      MAX_FORM_MEMORY_SIZE=BODY_LIMIT, MAX_FORM_PARTS=16)
    users: Dict[str, Dict[str, Optional[str]]] = {}
    state = {"broken": broken}

    def breaks(name: str) -> bool:
        """Tell whether this service has the named break."""
        return state["broken"] == name

    def email_of_cookie() -> Optional[str]:
        """Return the email whose session the request's cookie names."""
        session_id = request.cookies.get("session_id")
        if session_id is None:
            return None
        for email, user in users.items():
            if user["session_id"] == session_id:
                return email
        return None

    def new_session(email: str) -> str:
        """Start a new session for the user and return its id."""
        session_id = str(uuid.uuid4())
        users[email]["session_id"] = session_id
        return session_id

    @app.route("/", methods=["GET"])
    def index() -> Response:
        """Greet the visitor."""
        return jsonify({"message": "Bienvenue"})

    @app.route("/users", methods=["POST"])
    def register() -> Tuple[Response, int]:
        """Register the form's email and password."""
        email = request.form["email"]
        if email in users:
            return jsonify({"message": "email already registered"}), 400
        users[email] = {"password": request.form["password"],
                        "session_id": None, "reset_token": None}
        if breaks("register-rejects-new-user"):
            return jsonify({"message": "email already registered"}), 400
        message = "user created"
        if breaks("register-wrong-payload"):
            message = "user registered"
        return jsonify({"email": email, "message": message}), 200

    @app.route("/sessions", methods=["POST"])
    def log_in() -> Response:
        """Log the user in and set the session cookie."""
        email = request.form["email"]
        user = users.get(email)
        right = user is not None and \
            user["password"] == request.form["password"]
        if not right and not (user and breaks("wrong-password-accepted")):
            abort(401)
        message = "welcome" if breaks("login-wrong-payload") else "logged in"
        response = jsonify({"email": email, "message": message})
        session_id = new_session(email)
        if not breaks("login-sets-no-cookie"):
            response.set_cookie("session_id", session_id)
        return response

    @app.route("/sessions", methods=["DELETE"])
    def log_out() -> Response:
        """End the cookie's session and go back to the index."""
        email = email_of_cookie()
        if email is None or breaks("logout-refuses-valid-session"):
            abort(403)
        users[email]["session_id"] = None
        if breaks("logout-does-not-redirect"):
            return jsonify({"message": "logged out"})
        return redirect("/")

    @app.route("/profile", methods=["GET"])
    def profile() -> Response:
        """Show the email of the cookie's user."""
        email = email_of_cookie()
        if email is None and "session_id" not in request.cookies and \
                breaks("profile-open-without-session") and users:
            email = next(iter(users))
        if email is None or breaks("profile-refuses-valid-session"):
            abort(403)
        if breaks("profile-shows-wrong-email"):
            email = "not." + email
        return jsonify({"email": email})

    @app.route("/reset_password", methods=["POST"])
    def reset_token() -> Response:
        """Hand out a reset token for a registered email."""
        email = request.form["email"]
        if email not in users or breaks("reset-token-refused"):
            abort(403)
        token = str(uuid.uuid4())
        users[email]["reset_token"] = token
        if breaks("reset-token-missing-from-payload"):
            return jsonify({"email": email})
        if breaks("reset-token-wrong-email"):
            return jsonify({"email": "not." + email, "reset_token": token})
        return jsonify({"email": email, "reset_token": token})

    @app.route("/reset_password", methods=["PUT"])
    def update_password() -> Response:
        """Set a new password, given a valid reset token."""
        email = request.form.get("email")
        token = request.form.get("reset_token")
        owner = next((name for name, user in users.items()
                      if token is not None and user["reset_token"] == token),
                     None)
        if owner is None or breaks("password-update-refused"):
            abort(403)
        users[owner]["reset_token"] = None
        if not breaks("password-update-ignored"):
            users[owner]["password"] = request.form["new_password"]
        message = "Password updated"
        if breaks("password-update-wrong-payload"):
            message = "Password changed"
        return jsonify({"email": email, "message": message})

    return app


@dataclass
class Served:
    """A service being served by a child process."""

    pid: int
    log: Path
    reaped: bool = False

    def ended(self) -> Optional[str]:
        """Say how the server process ended, or None while it still runs."""
        try:
            done, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            self.reaped = True
            return "it ended"
        if not done:
            return None
        self.reaped = True
        return "it ended with exit status {}".format(
            os.waitstatus_to_exitcode(status))

    def error(self) -> str:
        """Return the last exception the served application logged, if any."""
        text = _tail(self.log)
        if "Traceback (most recent call last)" not in text:
            return ""
        after = text.rsplit("Traceback (most recent call last)", 1)[1]
        for line in after.splitlines()[1:]:
            if line.strip() and not line.startswith((" ", "\t")):
                return line.strip()
        return ""


def _bind(family: int, address: Tuple[str, int],
          listen: bool) -> Optional[socket.socket]:
    """Bind a TCP socket on address and return it.

    A busy address raises ServiceError. An IPv6 address this machine lacks
    gives None; any other failure raises ServiceError.
    """
    sock = None
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if listen:
            sock.listen(128)
    except OSError as error:
        if sock is not None:
            sock.close()
        if error.errno == errno.EADDRINUSE:
            raise ServiceError(PORT_IN_USE) from None
        if family == socket.AF_INET6:
            return None
        raise ServiceError("port {} cannot be opened on {}: {}".format(
            address[1], address[0], error.strerror or error)) from None
    return sock


@contextlib.contextmanager
def serving(app: Any, log: Path,
            unix_socket: Optional[Path] = None) -> Iterator[Served]:
    """Serve app from a child process for the duration.

    With unix_socket, listen there (the sandbox's relay forwards its
    localhost:5000 to it). Otherwise listen on 127.0.0.1:5000; localhost
    may also resolve to ::1, so a socket bound there (not listening) makes
    such connections fail fast, and proves no other program serves port
    5000 on IPv6. The child's output and the application's error logs go
    to log.
    """
    if unix_socket is not None:
        with contextlib.suppress(FileNotFoundError):
            unix_socket.unlink()
        try:
            server = make_server("unix://" + str(unix_socket), 0, app,
                                 threaded=False)
        except OSError as error:
            raise ServiceError("the service cannot listen on {}: {}".format(
                unix_socket, error)) from None
        with _served(server, log) as served:
            yield served
        return
    guard = _bind(socket.AF_INET6, ("::1", PORT), listen=False)
    try:
        listener = _bind(socket.AF_INET, (HOST, PORT), listen=True)
        if listener is None:  # not expected: only IPv6 binds give None
            raise ServiceError("port 5000 cannot be opened on " + HOST)
        try:
            server = make_server(HOST, PORT, app, threaded=False,
                                 fd=listener.fileno())
        finally:
            listener.close()
        with _served(server, log) as served:
            yield served
    finally:
        if guard is not None:
            guard.close()


@contextlib.contextmanager
def _served(server: BaseWSGIServer, log: Path) -> Iterator[Served]:
    """Serve a bound server from a forked child until the block ends."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _serve_in_child(server, log)
    finally:
        server.server_close()
    _own_group(pid)
    served = Served(pid, log)
    try:
        yield served
    finally:
        _kill_group(pid, reaped=served.reaped)


def _serve_in_child(server: BaseWSGIServer, log: Path) -> None:
    """Serve forever in the forked child; never return."""
    try:
        os.setpgid(0, 0)
        target = os.open(str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o600)
        os.dup2(target, 1)
        os.dup2(target, 2)
        os.close(target)
        stream = open(2, "w", encoding="utf-8", errors="backslashreplace",
                      closefd=False, buffering=1)
        sys.stdout = sys.stderr = stream
        handler = logging.StreamHandler(stream)
        handler.setLevel(logging.ERROR)
        logging.getLogger().addHandler(handler)
        server.serve_forever(poll_interval=0.05)
    finally:
        os._exit(1)


def _own_group(pid: int) -> None:
    """Put the child in a process group of its own (it does so too)."""
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)


def _kill_group(pid: int, reaped: bool = False) -> None:
    """Kill the child's whole process group and collect the child."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    if not reaped:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _tail(path: Path) -> str:
    """Return the end of a file as text ('' when there is no file)."""
    try:
        with open(str(path), "rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - TAIL_BYTES))
            return stream.read().decode("utf-8", "replace")
    except OSError:
        return ""
