#!/usr/bin/env python3
"""The one list of the kata's 21 steps, read by everything else.

Each step names the files it is written in, the interface a student must
provide, the facts (status codes, messages) that its statement and its spec
must both state, and a hint. Everything else (spec path, README path,
workspace set-up) derives from this list, so a step changes in one place.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
STEPS_DIR = REPO_ROOT / "steps"
SPECS_DIR = REPO_ROOT / "tests"
SOLUTION_DIR = REPO_ROOT / "solution"
STARTER_DIR = Path(__file__).resolve().parent / "starter"

# The files of a submission; nothing else in a submission folder is read.
SUBMISSION_FILES = ("user.py", "db.py", "auth.py", "app.py", "main.py",
                    "README.md")
SUBMISSION_MODULES = tuple(name[:-3] for name in SUBMISSION_FILES
                           if name.endswith(".py"))


@dataclass(frozen=True)
class Step:
    """One step of the kata: what to write, where, and how it is graded."""

    number: int
    slug: str
    title: str
    files: Tuple[str, ...]
    interface: Tuple[str, ...]
    facts: Tuple[str, ...]
    hint: str
    points: int = 1
    # What of this step the starter already hands out, if anything. No step is
    # complete in the starter: every spec must fail on it.
    given_in_starter: Optional[str] = None
    # Where the reference solution does this step: "file" for a whole
    # file, "file:name" or "file:Class.method" for one definition.
    solution: Tuple[str, ...] = ()
    # What else of the student's code this step answers for when a verdict
    # is charged to the step that owns a bug (kata/splice.py): code the
    # starter hands out, and "file:<module>" for a file's statements
    # outside every definition (its imports, app = Flask(...), ...).
    owns: Tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """Return the step's folder name, e.g. ``05-register-user``."""
        return "{:02d}-{}".format(self.number, self.slug)

    @property
    def readme(self) -> Path:
        """Return the path of the step's task statement."""
        return STEPS_DIR / self.name / "README.md"

    @property
    def readme_ref(self) -> str:
        """Return the statement's path relative to the repository root."""
        return "steps/{}/README.md".format(self.name)

    @property
    def spec(self) -> Path:
        """Return the path of the step's spec, e.g. tests/test_05_x.py."""
        return SPECS_DIR / "test_{:02d}_{}.py".format(
            self.number, self.slug.replace("-", "_"))


STEPS: Tuple[Step, ...] = (
    Step(0, "user-model", "User model", ("user.py", "README.md"),
         ("Base", "User", "users", "id", "email", "hashed_password",
          "session_id", "reset_token"),
         ("VARCHAR(250)",),
         "Give every String column its length, and decide for each column "
         "whether it may be NULL.",
         solution=("user.py",)),
    Step(1, "create-user", "Create user", ("db.py",),
         ("DB", "add_user", "a.db"), (),
         "Adding an object to a session is not saving it: ask yourself when "
         "another connection can see the row.",
         given_in_starter="the DB constructor and its memoised _session",
         solution=("db.py:DB.add_user",),
         owns=("db.py:<module>", "db.py:DB.__init__", "db.py:DB._session")),
    Step(2, "find-user", "Find user", ("db.py",),
         ("find_user_by", "NoResultFound", "InvalidRequestError"), (),
         "Let the query filter on all keyword arguments at once, then take "
         "the first row, and decide what no row at all means.",
         solution=("db.py:DB.find_user_by",)),
    Step(3, "update-user", "Update user", ("db.py",),
         ("update_user", "find_user_by", "ValueError"), (),
         "Check every keyword against the table's columns before you change "
         "anything, and remember what makes a change last.",
         solution=("db.py:DB.update_user",)),
    Step(4, "hash-password", "Hash password", ("auth.py",),
         ("_hash_password", "bcrypt", "gensalt"), (),
         "bcrypt works on bytes, and a hash without a fresh salt is a lookup "
         "table waiting to happen.",
         solution=("auth.py:_hash_password",),
         owns=("auth.py:<module>",)),
    Step(5, "register-user", "Register user", ("auth.py",),
         ("Auth", "register_user", "_db", "ValueError"),
         ("User <email> already exists",),
         "Look the email up first; only an unknown email may become a "
         "new user, and only its hash may be stored.",
         given_in_starter="the Auth constructor that creates self._db",
         solution=("auth.py:Auth.register_user",),
         owns=("auth.py:Auth.__init__",)),
    Step(6, "basic-flask-app", "Basic Flask app", ("app.py",),
         ("app", "jsonify", "0.0.0.0", "5000"),
         ("200", "Bienvenue"),
         "jsonify builds a response with the right content type; keep the "
         "server start behind the __main__ guard.",
         solution=("app.py:index",),
         owns=("app.py:<module>",)),
    Step(7, "register-endpoint", "Register user end-point", ("app.py",),
         ("AUTH", "/users", "email", "password"),
         ("200", "400", "user created", "email already registered"),
         "The form data is in request.form; turn the ValueError of Auth into "
         "the 400 answer.",
         solution=("app.py:users",),
         owns=("app.py:AUTH",)),
    Step(8, "credentials-validation", "Credentials validation", ("auth.py",),
         ("valid_login", "checkpw"), (),
         "An unknown email is just a failed login: catch the lookup error and "
         "answer with a real bool.",
         solution=("auth.py:Auth.valid_login",)),
    Step(9, "generate-uuids", "Generate UUIDs", ("auth.py",),
         ("_generate_uuid", "uuid"), (),
         "The uuid module makes random identifiers; the task wants their "
         "text form.",
         solution=("auth.py:_generate_uuid",)),
    Step(10, "get-session-id", "Get session ID", ("auth.py",),
         ("create_session", "session_id"), (),
         "Find the user, make a fresh id, save it with update_user, return "
         "it; an unknown email returns None.",
         solution=("auth.py:Auth.create_session",)),
    Step(11, "log-in", "Log in", ("app.py",),
         ("/sessions", "session_id", "abort"),
         ("401", "200", "logged in"),
         "Validate first, abort(401) on failure, then create the session and "
         "set the cookie on the response before returning it.",
         solution=("app.py:login",)),
    Step(12, "find-user-by-session-id", "Find user by session ID",
         ("auth.py",),
         ("get_user_from_session_id", "session_id"), (),
         "What does a filter on session_id=None match in SQL? Answer None "
         "before you ask the database.",
         solution=("auth.py:Auth.get_user_from_session_id",)),
    Step(13, "destroy-session", "Destroy session", ("auth.py",),
         ("destroy_session", "session_id"), (),
         "Updating the user's session_id to None is all it takes.",
         solution=("auth.py:Auth.destroy_session",)),
    Step(14, "log-out", "Log out", ("app.py",),
         ("DELETE", "/sessions", "session_id", "redirect"),
         ("302", "403"),
         "Find the user from the cookie, abort(403) if there is none, destroy "
         "the session, then redirect to the index.",
         solution=("app.py:logout",)),
    Step(15, "user-profile", "User profile", ("app.py",),
         ("/profile", "session_id"),
         ("200", "403"),
         "The cookie is in request.cookies; the user it names is the only "
         "email you may show.",
         solution=("app.py:profile",)),
    Step(16, "generate-reset-token", "Generate reset password token",
         ("auth.py",),
         ("get_reset_password_token", "reset_token", "ValueError"), (),
         "Same shape as create_session, but an unknown email is an error.",
         solution=("auth.py:Auth.get_reset_password_token",)),
    Step(17, "reset-token-endpoint", "Get reset password token end-point",
         ("app.py",),
         ("POST", "/reset_password", "email", "reset_token"),
         ("200", "403"),
         "Ask Auth for a token and turn its ValueError into 403.",
         solution=("app.py:get_reset_password_token",)),
    Step(18, "update-password", "Update password", ("auth.py",),
         ("update_password", "reset_token", "ValueError"), (),
         "A token of None must never reach the database; after a reset the "
         "token must be gone.",
         solution=("auth.py:Auth.update_password",)),
    Step(19, "update-password-endpoint", "Update password end-point",
         ("app.py",),
         ("PUT", "/reset_password", "email", "reset_token", "new_password"),
         ("200", "403", "Password updated"),
         "Read the three form fields, let Auth do the work, and answer 403 "
         "when it refuses.",
         solution=("app.py:update_password",)),
    Step(20, "end-to-end", "End-to-end integration test", ("main.py",),
         ("register_user", "log_in_wrong_password", "log_in",
          "profile_unlogged", "profile_logged", "log_out",
          "reset_password_token", "update_password",
          "EMAIL", "PASSWD", "NEW_PASSWD", "requests"),
         ("localhost:5000",),
         "Every function asserts the status code and the payload it expects; "
         "a check that asserts nothing passes against a broken service.",
         solution=("main.py",)),
)


def step(number: int) -> Step:
    """Return the step with the given number, or raise KeyError."""
    for candidate in STEPS:
        if candidate.number == number:
            return candidate
    raise KeyError("there is no step {} (steps run from 0 to {})".format(
        number, len(STEPS) - 1))


def step_of_spec(spec_path: Path) -> Optional[Step]:
    """Return the step whose spec is at spec_path, or None for other files."""
    for candidate in STEPS:
        if candidate.spec.name == Path(spec_path).name:
            return candidate
    return None
