#!/usr/bin/env python3
"""Pairs of submissions that are suspiciously alike, for roster --similarity.

The comparison is copydetect's winnowing: each submission's Python code is
tokenised (names, strings and comments are abstracted away, so renaming
variables or rewriting docstrings changes nothing), cut into k-grams of
noise_threshold characters and winnowed into fingerprints. A pair's score
is the share of a submission's code covered by fingerprints the other one
has too. Code everyone writes does not count: the starter
(kata/catalogue/starter/), the code blocks of the statements
(steps/*/README.md) and what the contract dictates (CONTRACT_FILES: the model,
the fixed names, routes, status codes and messages, each step written the most
direct way) are copydetect's boilerplate, so a pair is judged on the code its
authors chose.

Student code is only read, never imported or run.
"""
import ast
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from kata.catalogue.steps import (REPO_ROOT, SOLUTION_DIR, STARTER_DIR, STEPS,
                                  SUBMISSION_FILES)

SOLUTION_NAME = "solution/"
# copydetect's own defaults: matches shorter than the noise threshold are
# ignored, matches at least the guarantee threshold long are always found.
NOISE_THRESHOLD = 25
GUARANTEE_THRESHOLD = 30
# Both limits are measured (README, "Similarity", and the calibration in
# selftest/test_similarity.py): beyond the boilerplate, correct submissions
# written apart scored at most 0.679 against each other and solution/
# (sharing 549 characters; the most any shared was 830, at 0.303), and
# disguised copies scored at least 0.918 and shared at least 1,623. A pair
# is flagged only past both limits.
SCORE_THRESHOLD = 0.8
# Characters of normalised code beyond the boilerplate that a flagged pair
# shares at least: a submission that is little more than the contract
# written plainly shares a high share of its small rest with anyone.
MIN_SHARED = 600
# A file larger than this is not a hand-written exercise file; reading it
# all would only slow the comparison down.
MAX_FILE_BYTES = 256 * 1024
# How many lines of one shared fragment the reports quote.
QUOTED_LINES = 40
PYTHON_FILES = tuple(name for name in SUBMISSION_FILES if name.endswith(".py"))
MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Options:
    """The thresholds of a comparison."""

    threshold: float = SCORE_THRESHOLD
    noise: int = NOISE_THRESHOLD
    guarantee: int = GUARANTEE_THRESHOLD
    min_shared: int = MIN_SHARED


def problem_of(options: Options) -> str:
    """Say what makes thresholds unusable by copydetect, or return ""."""
    if options.noise < 1:
        return "--noise-threshold must be at least 1"
    if options.guarantee < options.noise:
        return "--guarantee-threshold must be at least --noise-threshold"
    return ""


@dataclass
class Document:
    """A submission's Python files joined into one text, with a line map."""

    name: str
    text: str
    # (offset where the file starts in text, file name), in text order.
    starts: List[Tuple[int, str]] = field(default_factory=list)

    def place(self, offset: int) -> Tuple[str, int]:
        """Return the file and the line number of a character of text."""
        name, start = "", 0
        for begin, file_name in self.starts:
            if begin > offset:
                break
            name, start = file_name, begin
        return name, self.text.count("\n", start, offset) + 1

    def lines(self, file_name: str, first: int, last: int) -> List[str]:
        """Return lines first to last (from 1) of one of the files."""
        for begin, name in self.starts:
            if name == file_name:
                end = self.text.find("\0", begin)
                body = self.text[begin:end if end >= 0 else None]
                return body.split("\n")[first - 1:last]
        return []


def read_code(folder: Path, extra_modules: Iterable[str] = ()) -> Dict[
        str, str]:
    """Return the exercise's Python files of a folder and its helpers.

    A missing, unreadable, oversized or symlinked file is left out: the
    folder is a student's and may hold anything.
    """
    code: Dict[str, str] = {}
    names = list(PYTHON_FILES) + sorted(
        name for name in extra_modules if MODULE_NAME.match(name)
        and name not in PYTHON_FILES)
    for name in names:
        path = folder / name
        try:
            if path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            code[name] = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
    return code


def handed_out_code() -> List[str]:
    """Return the code everyone has: starter, statements and contract."""
    pieces = [path.read_text() for path in sorted(STARTER_DIR.glob("*.py"))]
    for item in STEPS:
        pieces.extend(CODE_BLOCK.findall(item.readme.read_text()))
    return pieces + contract_code()


def contract_code() -> List[str]:
    """Return what the contract dictates, as pieces of boilerplate.

    Each file comes whole (a submission that follows the steps' order
    shares the seams between definitions too) and cut into definitions (a
    submission in another order shares those alone), once as written and
    once in the other common spellings.
    """
    pieces: List[str] = []
    for text in CONTRACT_FILES:
        for variant in (text, respell(text)):
            pieces.append(variant)
            tree = ast.parse(variant)
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    pieces.append(ast.get_source_segment(variant, node)
                                  or "")
    return pieces


def respell(text: str) -> str:
    """Write contract code the other way students often write it."""
    for pattern, replacement in RESPELLINGS:
        text = re.sub(pattern, replacement, text)
    return text


def make_document(name: str, code: Dict[str, str]) -> Document:
    """Join files into one document; a NUL ends each file's text."""
    document = Document(name, "")
    parts = []
    offset = 0
    for file_name, text in code.items():
        text = text.replace("\0", "")
        document.starts.append((offset, file_name))
        parts.append(text + "\0\n")
        offset += len(text) + 2
    document.text = "".join(parts)
    return document


class Comparer:
    """Fingerprints documents against the boilerplate and compares them."""

    def __init__(self, options: Options,
                 boilerplate: Optional[List[str]] = None) -> None:
        """Fingerprint the boilerplate once, with every k-gram kept."""
        # copydetect imports matplotlib for its own HTML report; make sure
        # that never looks for a display.
        os.environ.setdefault("MPLBACKEND", "Agg")
        import numpy
        from copydetect import CodeFingerprint, compare_files

        self._fingerprint = CodeFingerprint
        self._compare = compare_files
        self.options = options
        hashes: List[int] = []
        for text in handed_out_code() if boilerplate is None else boilerplate:
            hashes.extend(CodeFingerprint(
                "boilerplate.py", options.noise, 1, language="python",
                fp=io.StringIO(text)).hashes)
        self._boilerplate = numpy.unique(
            numpy.array(hashes, dtype=numpy.int64))

    def fingerprint(self, document: Document) -> Any:
        """Return copydetect's fingerprint of a document."""
        window = max(1, self.options.guarantee - self.options.noise + 1)
        return self._fingerprint(
            document.name + ".py", self.options.noise, window,
            boilerplate=self._boilerplate, language="python",
            fp=io.StringIO(document.text))

    def compare(self, first: Tuple[Document, Any],
                second: Tuple[Document, Any]) -> Dict[str, Any]:
        """Return the score of a pair, and its fragments when flagged."""
        (document_a, print_a), (document_b, print_b) = first, second
        if not print_a.hashes or not print_b.hashes:
            shared, shares = 0, (0.0, 0.0)
            slices: Tuple[Any, Any] = ([], [])
        else:
            shared, shares, slices = self._compare(print_a, print_b)
        score = round(float(max(shares)), 3)
        pair: Dict[str, Any] = {
            "a": document_a.name, "b": document_b.name, "score": score,
            "flagged": bool(score >= self.options.threshold
                            and shared >= self.options.min_shared),
            "shared": int(shared),
            "share_a": round(float(shares[0]), 3),
            "share_b": round(float(shares[1]), 3)}
        if pair["flagged"]:
            pair["fragments_a"] = fragments(document_a, slices[0])
            pair["fragments_b"] = fragments(document_b, slices[1])
        return pair


def fragments(document: Document, slices: Any) -> List[Dict[str, Any]]:
    """Return the line ranges, and their code, of copied character slices."""
    ranges: List[List[Any]] = []
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    for start, end in zip(slices[0], slices[1]):
        first_file, first = document.place(int(start))
        last_file, last = document.place(max(int(start), int(end) - 1))
        if last_file != first_file:
            # A match across the end of a file: keep the first file's part.
            last = first + len(document.lines(first_file, first, 10 ** 9)) - 1
        if (ranges and ranges[-1][0] == first_file
                and first <= ranges[-1][2] + 1):
            ranges[-1][2] = max(ranges[-1][2], last)
        else:
            ranges.append([first_file, first, last])
    return [{"file": name, "first_line": first, "last_line": last,
             "code": "\n".join(document.lines(name, first, last)[
                 :QUOTED_LINES])}
            for name, first, last in ranges]


def compare_class(code_by_student: Dict[str, Dict[str, str]],
                  options: Options = Options(),
                  solution: Optional[Dict[str, str]] = None,
                  boilerplate: Optional[List[str]] = None) -> List[
                      Dict[str, Any]]:
    """Return the pairs to report: flagged pairs, and each one's solution/.

    Every student is compared with every other and with the reference
    solution. The list holds every flagged pair, and each student's pair
    with "solution/" whatever its score, best score first.
    """
    comparer = Comparer(options, boilerplate)
    reference = make_document(SOLUTION_NAME, solution if solution is not None
                              else read_code(SOLUTION_DIR))
    printed = [(document, comparer.fingerprint(document)) for document in (
        make_document(name, code_by_student[name])
        for name in sorted(code_by_student))]
    reference_print = (reference, comparer.fingerprint(reference))
    pairs = [comparer.compare(entry, reference_print) for entry in printed]
    for first, second in _candidates(printed):
        result = comparer.compare(printed[first], printed[second])
        if result["flagged"]:
            pairs.append(result)
    return sorted(pairs, key=lambda item: (-item["score"], item["a"],
                                           item["b"]))


def _candidates(printed: List[Tuple[Document, Any]]) -> List[Tuple[int, int]]:
    """Return the pairs of students that share at least one fingerprint.

    An index from fingerprint to students spares comparing the many pairs
    of a large class that have nothing in common.
    """
    holders: Dict[int, List[int]] = {}
    for index, (_, printed_code) in enumerate(printed):
        for value in printed_code.hashes:
            holders.setdefault(int(value), []).append(index)
    pairs = set()
    for indexes in holders.values():
        for position, first in enumerate(indexes):
            for second in indexes[position + 1:]:
                pairs.add((first, second))
    return sorted(pairs)


def compare_folders(folders: Dict[str, Tuple[Path, List[str]]],
                    options: Options = Options()) -> List[Dict[str, Any]]:
    """Return compare_class's pairs for submission folders, reproducibly.

    folders maps a student to their submission and its helper modules.
    copydetect hashes k-grams with Python's hash(), which is salted per
    process: the comparison runs in a child with a fixed seed, so that the
    same class always gets the same scores.
    """
    request = {"code": {name: read_code(folder, extra)
                        for name, (folder, extra) in folders.items()},
               "threshold": options.threshold, "noise": options.noise,
               "guarantee": options.guarantee,
               "min_shared": options.min_shared}
    child = subprocess.run(
        [sys.executable, "-m", "kata.classroom.similarity"],
        cwd=str(REPO_ROOT),
        input=json.dumps(request), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True,
        env=dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg"))
    if child.returncode != 0:
        raise RuntimeError("the similarity check failed: {}".format(
            child.stderr.strip()[-2000:]))
    pairs: List[Dict[str, Any]] = json.loads(child.stdout)
    return pairs


# The contract (../shared/TASKS.md and the statements) written the most
# direct way, in the steps' order: what a student who only follows the
# statements writes. Matching it is no evidence of copying.
CONTRACT_FILES: Tuple[str, ...] = (
    '''#!/usr/bin/env python3
"""..."""
from sqlalchemy import Column, Integer, String
from sqlalchemy.ext.declarative import declarative_base

Base = declarative_base()


class User(Base):
    """..."""

    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(250), nullable=False)
    hashed_password = Column(String(250), nullable=False)
    session_id = Column(String(250), nullable=True)
    reset_token = Column(String(250), nullable=True)
''',
    '''#!/usr/bin/env python3
"""..."""
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import NoResultFound
from sqlalchemy.orm.session import Session

from user import Base, User


class DB:
    """..."""

    def __init__(self) -> None:
        """..."""
        self._engine = create_engine("sqlite:///a.db", echo=False)
        Base.metadata.drop_all(self._engine)
        Base.metadata.create_all(self._engine)
        self.__session = None

    @property
    def _session(self) -> Session:
        """..."""
        if self.__session is None:
            DBSession = sessionmaker(bind=self._engine)
            self.__session = DBSession()
        return self.__session

    def add_user(self, email: str, hashed_password: str) -> User:
        """..."""
        user = User(email=email, hashed_password=hashed_password)
        self._session.add(user)
        self._session.commit()
        return user

    def find_user_by(self, **kwargs: Any) -> User:
        """..."""
        user = self._session.query(User).filter_by(**kwargs).first()
        if user is None:
            raise NoResultFound
        return user

    def update_user(self, user_id: int, **kwargs: Any) -> None:
        """..."""
        user = self.find_user_by(id=user_id)
        for key, value in kwargs.items():
            if not hasattr(user, key):
                raise ValueError
            setattr(user, key, value)
        self._session.commit()
''',
    '''#!/usr/bin/env python3
"""..."""
import uuid

import bcrypt
from sqlalchemy.orm.exc import NoResultFound

from db import DB
from user import User


def _hash_password(password: str) -> bytes:
    """..."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt())


def _generate_uuid() -> str:
    """..."""
    return str(uuid.uuid4())


class Auth:
    """..."""

    def __init__(self) -> None:
        """..."""
        self._db = DB()

    def register_user(self, email: str, password: str) -> User:
        """..."""
        try:
            self._db.find_user_by(email=email)
        except NoResultFound:
            return self._db.add_user(email, _hash_password(password))
        raise ValueError("User {} already exists".format(email))

    def valid_login(self, email: str, password: str) -> bool:
        """..."""
        try:
            user = self._db.find_user_by(email=email)
        except NoResultFound:
            return False
        return bcrypt.checkpw(password.encode("utf-8"), user.hashed_password)

    def create_session(self, email: str) -> str:
        """..."""
        try:
            user = self._db.find_user_by(email=email)
        except NoResultFound:
            return None
        session_id = _generate_uuid()
        self._db.update_user(user.id, session_id=session_id)
        return session_id

    def get_user_from_session_id(self, session_id: str) -> User:
        """..."""
        if session_id is None:
            return None
        try:
            return self._db.find_user_by(session_id=session_id)
        except NoResultFound:
            return None

    def destroy_session(self, user_id: int) -> None:
        """..."""
        self._db.update_user(user_id, session_id=None)

    def get_reset_password_token(self, email: str) -> str:
        """..."""
        try:
            user = self._db.find_user_by(email=email)
        except NoResultFound:
            raise ValueError
        reset_token = _generate_uuid()
        self._db.update_user(user.id, reset_token=reset_token)
        return reset_token

    def update_password(self, reset_token: str, password: str) -> None:
        """..."""
        if reset_token is None:
            raise ValueError
        try:
            user = self._db.find_user_by(reset_token=reset_token)
        except NoResultFound:
            raise ValueError
        self._db.update_user(user.id, hashed_password=_hash_password(
            password), reset_token=None)
''',
    '''#!/usr/bin/env python3
"""..."""
from flask import Flask, Response, abort, jsonify, redirect, request

from auth import Auth

app = Flask(__name__)
AUTH = Auth()


@app.route("/", methods=["GET"])
def index() -> Response:
    """..."""
    return jsonify({"message": "Bienvenue"})


@app.route("/users", methods=["POST"])
def users() -> Response:
    """..."""
    email = request.form.get("email")
    password = request.form.get("password")
    try:
        AUTH.register_user(email, password)
    except ValueError:
        return jsonify({"message": "email already registered"}), 400
    return jsonify({"email": email, "message": "user created"})


@app.route("/sessions", methods=["POST"])
def login() -> Response:
    """..."""
    email = request.form.get("email")
    password = request.form.get("password")
    if not AUTH.valid_login(email, password):
        abort(401)
    session_id = AUTH.create_session(email)
    response = jsonify({"email": email, "message": "logged in"})
    response.set_cookie("session_id", session_id)
    return response


@app.route("/sessions", methods=["DELETE"])
def logout() -> Response:
    """..."""
    session_id = request.cookies.get("session_id")
    user = AUTH.get_user_from_session_id(session_id)
    if user is None:
        abort(403)
    AUTH.destroy_session(user.id)
    return redirect("/")


@app.route("/profile", methods=["GET"])
def profile() -> Response:
    """..."""
    session_id = request.cookies.get("session_id")
    user = AUTH.get_user_from_session_id(session_id)
    if user is None:
        abort(403)
    return jsonify({"email": user.email})


@app.route("/reset_password", methods=["POST"])
def get_reset_password_token() -> Response:
    """..."""
    email = request.form.get("email")
    try:
        reset_token = AUTH.get_reset_password_token(email)
    except ValueError:
        abort(403)
    return jsonify({"email": email, "reset_token": reset_token})


@app.route("/reset_password", methods=["PUT"])
def update_password() -> Response:
    """..."""
    email = request.form.get("email")
    reset_token = request.form.get("reset_token")
    new_password = request.form.get("new_password")
    try:
        AUTH.update_password(reset_token, new_password)
    except ValueError:
        abort(403)
    return jsonify({"email": email, "message": "Password updated"})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
''',
    '''#!/usr/bin/env python3
"""..."""
import requests

URL = "http://localhost:5000"
EMAIL = "..."
PASSWD = "..."
NEW_PASSWD = "..."


def register_user(email: str, password: str) -> None:
    """..."""
    response = requests.post(URL + "/users", data={
        "email": email, "password": password})
    assert response.status_code == 200
    assert response.json() == {"email": email, "message": "user created"}


def log_in_wrong_password(email: str, password: str) -> None:
    """..."""
    response = requests.post(URL + "/sessions", data={
        "email": email, "password": password})
    assert response.status_code == 401


def log_in(email: str, password: str) -> str:
    """..."""
    response = requests.post(URL + "/sessions", data={
        "email": email, "password": password})
    assert response.status_code == 200
    assert response.json() == {"email": email, "message": "logged in"}
    return response.cookies.get("session_id")


def profile_unlogged() -> None:
    """..."""
    response = requests.get(URL + "/profile")
    assert response.status_code == 403


def profile_logged(session_id: str) -> None:
    """..."""
    response = requests.get(URL + "/profile", cookies={
        "session_id": session_id})
    assert response.status_code == 200
    assert response.json() == {"email": EMAIL}


def log_out(session_id: str) -> None:
    """..."""
    response = requests.delete(URL + "/sessions", cookies={
        "session_id": session_id})
    assert response.status_code == 200
    assert response.json() == {"message": "Bienvenue"}


def reset_password_token(email: str) -> str:
    """..."""
    response = requests.post(URL + "/reset_password", data={
        "email": email})
    assert response.status_code == 200
    return response.json()["reset_token"]


def update_password(email: str, reset_token: str,
                    new_password: str) -> None:
    """..."""
    response = requests.put(URL + "/reset_password", data={
        "email": email, "reset_token": reset_token,
        "new_password": new_password})
    assert response.status_code == 200
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
''',
)
# The other common spellings of the same contract code: form fields read
# with [] rather than .get, JSON built from keywords, optional results
# annotated as such, nullable columns left at their default.
RESPELLINGS: Tuple[Tuple[str, str], ...] = (
    (r'request\.form\.get\(("\w+")\)', r"request.form[\1]"),
    (r'jsonify\(\{"(\w+)": ([^,{}]+)\}\)', r"jsonify(\1=\2)"),
    (r'jsonify\(\{"(\w+)": ([^,{}]+), "(\w+)": ([^,{}]+)\}\)',
     r"jsonify(\1=\2, \3=\4)"),
    (r'-> (str|User):\n(\s+"""\.\.\."""\n\s+(?:try|if))',
     r"-> Optional[\1]:\n\2"),
    (r", nullable=True\)", ")"),
    (r"(?m)^from typing import Any$", "from typing import Any, Optional"),
)


def main() -> int:
    """Compare the class given as JSON on stdin; print the pairs as JSON."""
    request = json.loads(sys.stdin.read())
    options = Options(float(request["threshold"]), int(request["noise"]),
                      int(request["guarantee"]), int(request["min_shared"]))
    json.dump(compare_class(request["code"], options), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
