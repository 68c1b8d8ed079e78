#!/usr/bin/env python3
"""The one list of the kata's 21 steps, read by everything else.

Each step names the files it is written in, the interface a student must
provide, the facts (status codes, messages) that its statement and its spec
must both state, and its hints. Everything else (spec path, README path,
workspace set-up) derives from this list, so a step changes in one place.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
STEPS_DIR = REPO_ROOT / "steps"
SPECS_DIR = REPO_ROOT / "tests"
SOLUTION_DIR = REPO_ROOT / "solution"
STARTER_DIR = Path(__file__).resolve().parent / "starter"

# The files of a submission; nothing else in a submission folder is read.
SUBMISSION_FILES = ("user.py", "db.py", "auth.py", "app.py", "main.py",
                    "README.md")
# The most of one submitted file that is read; a larger file is refused.
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Step:
    """One step of the kata: what to write, where, and how it is graded."""

    number: int
    slug: str
    title: str
    files: Tuple[str, ...]
    interface: Tuple[str, ...]
    facts: Tuple[str, ...]
    hints: Tuple[str, ...]
    points: int = 1
    # What of this step the starter already hands out, if anything. No step is
    # complete in the starter: every spec must fail on it.
    given_in_starter: Optional[str] = None
    # Where the reference solution does this step: "file" for a whole
    # file, "file:name" or "file:Class.method" for one definition.
    solution: Tuple[str, ...] = ()
    # What else of the student's code this step answers for when a verdict
    # is charged to the step that owns a bug (kata/reading/splice.py): code the
    # starter hands out, and "file:<module>" for a file's statements
    # outside every definition (its imports, app = Flask(...), ...).
    owns: Tuple[str, ...] = ()
    # The spec runs the student's main.py against services of the judge:
    # the longest run, with twice the time limit.
    end_to_end: bool = False
    # The spec has hypothesis properties (@given), slower than examples.
    has_properties: bool = False

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
         ("`Column`, `Integer` and `String` come from `sqlalchemy`; on "
          "SQLAlchemy 1.3, `declarative_base` comes from "
          "`sqlalchemy.ext.declarative`.",
          "`String(250)` and `String` are not the same type: the length is "
          "part of it.",
          "Decide for each column whether a user can exist without a value "
          "in it."),
         solution=("user.py",)),
    Step(1, "create-user", "Create user", ("db.py",),
         ("DB", "add_user", "a.db"), (),
         ("`session.add()` only puts an object in the session, and `flush()` "
          "only sends it inside a transaction that is still open. Which call "
          "ends the transaction?",
          "The id comes from the database; once the row is written, the "
          "object you created knows it.",
          "Use `self._session` for everything; never create a second "
          "session."),
         given_in_starter="the DB constructor and its memoised _session",
         solution=("db.py:DB.add_user",),
         owns=("db.py:<module>", "db.py:DB.__init__", "db.py:DB._session"),
         has_properties=True),
    Step(2, "find-user", "Find user", ("db.py",),
         ("find_user_by", "NoResultFound", "InvalidRequestError"), (),
         ("A query can filter on keyword arguments directly; look at the "
          "query methods whose name ends in `_by`.",
          "Compare the query methods that fetch a single row: which one "
          "accepts several matching rows, and what does it return when there "
          "is none?"),
         solution=("db.py:DB.find_user_by",),
         has_properties=True),
    Step(3, "update-user", "Update user", ("db.py",),
         ("update_user", "find_user_by", "ValueError"), (),
         ("The model knows its own columns: look at what `User.__table__` "
          "offers.",
          "Check every keyword before you change anything.",
          "What did `add_user` need so that another connection could see its "
          "row?"),
         solution=("db.py:DB.update_user",),
         has_properties=True),
    Step(4, "hash-password", "Hash password", ("auth.py",),
         ("_hash_password", "bcrypt", "gensalt"), (),
         ("bcrypt works on bytes, not on `str`: encode the password first.",
          "The salt ends up inside the hash, so `checkpw` needs nothing else "
          "to check a password later.",
          "Make the salt inside the function, at each call."),
         solution=("auth.py:_hash_password",),
         owns=("auth.py:<module>",),
         has_properties=True),
    Step(5, "register-user", "Register user", ("auth.py",),
         ("Auth", "register_user", "_db", "ValueError"),
         ("User <email> already exists",),
         ("`find_user_by` tells you whether the email is taken; which "
          "exception does it raise when it is not?",
          "Raise the `ValueError` outside the `try` block that catches the "
          "lookup's exception, or make sure you do not catch your own error.",
          "`add_user` expects a `str`; decide what to do with the `bytes` of "
          "the hash."),
         given_in_starter="the Auth constructor that creates self._db",
         solution=("auth.py:Auth.register_user",),
         owns=("auth.py:Auth.__init__",),
         has_properties=True),
    Step(6, "basic-flask-app", "Basic Flask app", ("app.py",),
         ("app", "jsonify", "0.0.0.0", "5000"),
         ("200", "Bienvenue"),
         ("Compare what `jsonify({...})` and a returned string put in the "
          "`Content-Type` header.",
          "When Python runs a file as a program, its `__name__` is "
          '`"__main__"`; when the file is imported, it is the module\'s '
          "name.",
          "You can also try it for real: run `./checker.sh run app.py`, "
          "then `curl http://localhost:5000/` in another terminal."),
         solution=("app.py:index",),
         owns=("app.py:<module>",)),
    Step(7, "register-endpoint", "Register user end-point", ("app.py",),
         ("AUTH", "/users", "email", "password"),
         ("200", "400", "user created", "email already registered"),
         ("`data=` in the test client and `-d` in curl both send form data; "
          "a view that reads JSON never sees it.",
          "`register_user` already refuses a taken email; catch exactly that "
          "error.",
          "`jsonify` builds a response with status 200; an error status can "
          "be given next to it or set on the response."),
         solution=("app.py:users",),
         owns=("app.py:AUTH",)),
    Step(8, "credentials-validation", "Credentials validation", ("auth.py",),
         ("valid_login", "checkpw"), (),
         ("`find_user_by` of step 02 tells you, with an exception, that "
          "nobody has that email.",
          "`bcrypt.checkpw(password, hashed)` takes two `bytes` values and "
          "already answers with a `bool`.",
          "Hashing the password again with a new salt and comparing the two "
          "hashes can never succeed: the salts differ."),
         solution=("auth.py:Auth.valid_login",),
         has_properties=True),
    Step(9, "generate-uuids", "Generate UUIDs", ("auth.py",),
         ("_generate_uuid", "uuid"), (),
         ("Read the `uuid` module's documentation: which of its functions "
          "makes a random UUID rather than one derived from a name you give "
          "it?",
          "A `uuid.UUID` object is not a string, even though it prints like "
          "one.",
          "Make the UUID inside the function, at each call, not once when "
          "the module is imported."),
         solution=("auth.py:_generate_uuid",)),
    Step(10, "get-session-id", "Get session ID", ("auth.py",),
         ("create_session", "session_id"), (),
         ("Step 08 already taught you what an unknown email looks like when "
          "you look it up; handle it the same way here.",
          "Do not write the attribute on the `User` object yourself: "
          "`update_user` already knows how to make a change last.",
          "Do not reuse a session id the user already has: always make a new "
          "one."),
         solution=("auth.py:Auth.create_session",)),
    Step(11, "log-in", "Log in", ("app.py",),
         ("/sessions", "session_id", "abort"),
         ("401", "200", "logged in"),
         ("Check the credentials first; only when they are right is there a "
          "session to create.",
          "`jsonify(...)` returns a response object: set the cookie on it "
          "before you return it.",
          '401 and 403 do not mean the same thing: which one says "we do not '
          'know who you are"?'),
         solution=("app.py:login",)),
    Step(12, "find-user-by-session-id", "Find user by session ID",
         ("auth.py",),
         ("get_user_from_session_id", "session_id"), (),
         ("`find_user_by` already knows how to look a user up by any column; "
          "what does it do when nothing matches, and what must you answer "
          "then?",
          "Think about the SQL a filter `session_id=None` turns into. Which "
          "rows does it match?",
          "Deal with the `None` case before the database is asked anything."),
         solution=("auth.py:Auth.get_user_from_session_id",),
         has_properties=True),
    Step(13, "destroy-session", "Destroy session", ("auth.py",),
         ("destroy_session", "session_id"), (),
         ("You already have a method that changes columns of one user and "
          "saves the change.",
          "A value set on the `User` object only reaches `a.db` when the "
          "session is committed."),
         solution=("auth.py:Auth.destroy_session",)),
    Step(14, "log-out", "Log out", ("app.py",),
         ("DELETE", "/sessions", "session_id", "redirect"),
         ("302", "403"),
         ("The `Auth` method of step 12 turns the cookie into a user, or "
          "into `None`.",
          "The user object tells you the `id` that step 13's method wants.",
          "`redirect` builds the 302 answer for you; `url_for` takes the "
          "name of a view function, not a path."),
         solution=("app.py:logout",)),
    Step(15, "user-profile", "User profile", ("app.py",),
         ("/profile", "session_id"),
         ("200", "403"),
         ("Steps 12 and 14 already did the hard part: turning a cookie into "
          "a user, or into `None`.",
          "The email you answer must come from the user the cookie names, "
          "not from anything remembered about earlier requests."),
         solution=("app.py:profile",),
         has_properties=True),
    Step(16, "generate-reset-token", "Generate reset password token",
         ("auth.py",),
         ("get_reset_password_token", "reset_token", "ValueError"), (),
         ("You wrote almost this method already in step 10; compare the two "
          "and find the one case where they must differ.",
          "What does `find_user_by` do when nothing matches? Turn that into "
          "the error this step asks for.",
          "Let `update_user` make the change; setting the attribute yourself "
          "does not make it last."),
         solution=("auth.py:Auth.get_reset_password_token",),
         has_properties=True),
    Step(17, "reset-token-endpoint", "Get reset password token end-point",
         ("app.py",),
         ("POST", "/reset_password", "email", "reset_token"),
         ("200", "403"),
         ("`Auth` already knows how to make a token and says so with a "
          "`ValueError` when it cannot; the route only translates that into "
          "an HTTP answer.",
          "Ask `AUTH` for a token once per request, and answer the token you "
          "got."),
         solution=("app.py:get_reset_password_token",)),
    Step(18, "update-password", "Update password", ("auth.py",),
         ("update_password", "reset_token", "ValueError"), (),
         ("Think about the SQL a filter `reset_token=None` turns into, and "
          "which rows it matches. Step 12 met the same trap.",
          "One `update_user` call can change several columns at once.",
          "The hash you store here must be one that `valid_login` can check."),
         solution=("auth.py:Auth.update_password",),
         has_properties=True),
    Step(19, "update-password-endpoint", "Update password end-point",
         ("app.py",),
         ("PUT", "/reset_password", "email", "reset_token", "new_password"),
         ("200", "403", "Password updated"),
         ("`Auth` already refuses bad tokens with a `ValueError`; the route "
          "only turns that refusal into an HTTP answer.",
          "`request.form[...]` answers 400 by itself when a field is "
          "missing; look for a way to read a field that may be absent."),
         solution=("app.py:update_password",)),
    Step(20, "end-to-end", "End-to-end integration test", ("main.py",),
         ("register_user", "log_in_wrong_password", "log_in",
          "profile_unlogged", "profile_logged", "log_out",
          "reset_password_token", "update_password",
          "EMAIL", "PASSWD", "NEW_PASSWD", "requests"),
         ("localhost:5000",),
         ("`requests.post(url, data={...})` sends form fields; "
          "`response.json()` is the payload; "
          '`response.cookies.get("session_id")` is the cookie; send one back '
          'with `cookies={"session_id": session_id}`.',
          "Compare the whole payload with `==`: checking one key lets the "
          "others be wrong.",
          "Serve your app single-threaded, as above: "
          "`./checker.sh run app.py` starts a multi-threaded server, and "
          "the one SQLite session of `DB` then "
          'fails at random with "SQLite objects created in a thread can only '
          'be used in that same thread".',
          "Try it: break one status code or message in `app.py`, and watch "
          "`main.py` fail."),
         solution=("main.py",),
         end_to_end=True),
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
