#!/usr/bin/env python3
"""Advice on passing code: what a mentor would say once a step works.

The catalogue (``kata/reading/advice.toml``) lists the comments, each with a
stable key, a kind (the most useful first: essential, actionable, informative,
celebratory), the step it concerns, a text and the page that explains it.
Each key has one detector here, a small function that reads the code its
step owns (``kata.reading.ownership``: the line's definition, that definition's
owner) from the submission's syntax trees and says where the comment
applies. Advice is never part of a grade: no verdict, score or exit status
reads it, so the caller asks only about steps that already pass.

Student files are hostile input: a file is read without following a
symbolic link, never more than ``kata.catalogue.steps.MAX_FILE_BYTES`` of it,
and parsed, never imported or run. A file that does not parse gets no advice,
nor does one larger than ``kata.reading.ownership.MAX_OUTLINED_BYTES``: the
owner of its lines is not worked out (its style problem is about the whole
file), and outlining a megabyte of code would cost seconds on every save.
No input makes ``advise`` raise.
"""
import ast
import os
import re
import stat
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import (Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Set, Tuple)

from kata.catalogue.steps import MAX_FILE_BYTES, STEPS, Step
from kata.reading.ownership import MAX_OUTLINED_BYTES, FileOwners
from kata.reading.routes import view_routes
from kata.reading.text import one_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older Pythons read TOML with the tomli backport
    import tomli as tomllib

KINDS = ("essential", "actionable", "informative", "celebratory")
CATALOGUE_PATH = Path(__file__).resolve().parent / "advice.toml"
# A place in a student's file: its name and a 1-based line.
Place = Tuple[str, int]
_LOGGING_CALLS = frozenset(("debug", "info", "warning", "warn", "error",
                            "critical", "exception", "log"))
_HTTP_CALLS = frozenset(("get", "post", "put", "delete", "patch", "head",
                         "options", "request"))
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
_BROAD_ERRORS = frozenset(("Exception", "BaseException"))
# Parts of a name (split at underscores and capitals) that say step 16's
# code keeps a token's age; "update" must not count as a date.
_TIME_WORDS = frozenset(("time", "datetime", "timedelta", "timestamp",
                         "date", "now", "utcnow", "expires", "expiry",
                         "expire", "expiration", "expired", "ttl"))
_NAME_PART = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


@dataclass(frozen=True)
class Comment:
    """One comment of the catalogue, which detectors attach to code."""

    key: str
    kind: str
    step: int
    text: str
    link: str


@dataclass(frozen=True)
class Advice:
    """One comment that applies to one submission, and where it applies."""

    key: str
    kind: str
    step: int
    text: str
    where: str


@lru_cache(maxsize=1)
def catalogue() -> Tuple[Comment, ...]:
    """Return the catalogue's comments, read once from its TOML file."""
    data = tomllib.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    comments = tuple(Comment(str(item["key"]), str(item["kind"]),
                             int(item["step"]), str(item["text"]),
                             str(item["link"]))
                     for item in data["comment"])
    for comment in comments:
        if comment.kind not in KINDS:
            raise ValueError("comment {} has kind {}, not one of {}".format(
                comment.key, comment.kind, ", ".join(KINDS)))
    return comments


def advise(folder: Path, steps: Sequence[Step]) -> List[Advice]:
    """Return the advice on a submission's code for the given steps.

    Ordered by kind (most useful first), then step, then key; one advice
    per comment, at the first place it applies. Nothing raises: a file
    that cannot be read or parsed simply gets no advice.
    """
    try:
        wanted = {getattr(item, "number", item) for item in steps}
        comments = [comment for comment in catalogue()
                    if comment.step in wanted]
        code = Submission(Path(folder))
    except Exception:  # the advisor is an extra: it must never break a run
        return []
    found: List[Advice] = []
    for comment in comments:
        detector = DETECTORS.get(comment.key)
        try:
            place = detector(code, comment.step) if detector else None
        except Exception:  # one detector's surprise costs only its advice
            place = None
        if place is not None:
            found.append(Advice(comment.key, comment.kind, comment.step,
                                comment.text, _where(place)))
    found.sort(key=_rank)
    return found


def shown(advice: Sequence[Advice], step: int,
          limit: int = 2) -> List[Advice]:
    """Return the most useful advice of one step, at most limit of them."""
    return sorted((item for item in advice if item.step == step),
                  key=_rank)[:max(limit, 0)]


def _rank(item: Advice) -> Tuple[int, int, str]:
    """Return where an advice goes: by kind, then step, then key."""
    kind = KINDS.index(item.kind) if item.kind in KINDS else len(KINDS)
    return kind, item.step, item.key


def _where(place: Place) -> str:
    """Return a place as the report shows it: ``auth.py:42``."""
    name, line = place
    return one_line("{}:{}".format(name, line) if line > 0 else name)


class ParsedFile:
    """One exercise file that parses: its tree and its nodes by owner."""

    def __init__(self, name: str, text: str, tree: ast.Module) -> None:
        """Sort the file's nodes by the step that owns each one's line."""
        self.name = name
        self.tree = tree
        owners = FileOwners(name, text)
        owner_of_line: Dict[int, Optional[int]] = {}
        self.by_step: Dict[Optional[int], List[ast.AST]] = {}
        for node in ast.walk(tree):
            line = getattr(node, "lineno", None)
            if not isinstance(line, int):
                continue
            if line not in owner_of_line:
                owner_of_line[line] = owners.step_at(line)
            self.by_step.setdefault(owner_of_line[line], []).append(node)
        for nodes in self.by_step.values():
            nodes.sort(key=lambda node: (node.lineno,
                                         getattr(node, "col_offset", 0)))


class Submission:
    """The exercise files of a folder, read safely and parsed on demand."""

    def __init__(self, folder: Path) -> None:
        """Remember the folder; nothing is read until a step asks."""
        self.folder = folder
        self._files: Dict[str, Optional[ParsedFile]] = {}

    def nodes(self, number: int) -> Iterator[Tuple[str, ast.AST]]:
        """Yield (file, node) for every node of the code a step owns."""
        for name in _step_files(number):
            parsed = self.file(name)
            if parsed is not None:
                for node in parsed.by_step.get(number, []):
                    yield name, node

    def file(self, name: str) -> Optional[ParsedFile]:
        """Return one exercise file parsed, None if unreadable or broken."""
        if name not in self._files:
            self._files[name] = _parsed(self.folder, name)
        return self._files[name]


def _step_files(number: int) -> Tuple[str, ...]:
    """Return the Python files a step's code is written in."""
    for candidate in STEPS:
        if candidate.number == number:
            return tuple(name for name in candidate.files
                         if name.endswith(".py"))
    return ()


def _parsed(folder: Path, name: str) -> Optional[ParsedFile]:
    """Read and parse one file of a folder; None when that cannot be done."""
    text = read_source(folder / name, MAX_OUTLINED_BYTES)
    if text is None:
        return None
    try:
        tree = ast.parse(text)
        return ParsedFile(name, text, tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def read_source(path: Path, limit: int = MAX_FILE_BYTES) -> Optional[str]:
    """Return a regular file's text, None for anything else.

    A symbolic link is not followed, a FIFO or a device is not opened
    (nor waited on), and a file larger than limit (at most
    MAX_FILE_BYTES) is not read past that bound: it is None as well.
    """
    limit = min(limit, MAX_FILE_BYTES)
    try:
        descriptor = os.open(str(path),
                             os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        chunks: List[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:
        return None
    return data.decode("utf-8", "replace")


# Small readers of syntax trees, shared by the detectors.

def _called(node: ast.AST, *names: str) -> bool:
    """Tell whether node calls a function or method of one of the names."""
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    if isinstance(function, ast.Name):
        return function.id in names
    return isinstance(function, ast.Attribute) and function.attr in names


def _first(found: Iterable[Tuple[str, ast.AST]]) -> Optional[Place]:
    """Return the place of the first (file, node) pair, if there is one."""
    for name, node in found:
        return name, getattr(node, "lineno", 0)
    return None


def _calls(code: Submission, number: int,
           *names: str) -> Iterator[Tuple[str, ast.AST]]:
    """Yield the calls of the named functions in a step's own code."""
    return ((name, node) for name, node in code.nodes(number)
            if _called(node, *names))


def _keyword(call: ast.Call, name: str) -> Optional[ast.AST]:
    """Return the value a call passes as keyword name, if it passes one."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _is_constant(node: Optional[ast.AST], value: object) -> bool:
    """Tell whether node is written as this very constant (True, 403...)."""
    return isinstance(node, ast.Constant) and type(node.value) is \
        type(value) and node.value == value


def _words(node: ast.AST) -> Iterator[str]:
    """Yield the names and attribute names that a node's code mentions."""
    for item in ast.walk(node):
        if isinstance(item, ast.Name):
            yield item.id
        elif isinstance(item, ast.Attribute):
            yield item.attr
        elif isinstance(item, ast.arg):
            yield item.arg


def _functions(code: Submission, number: int,
               ) -> Iterator[Tuple[str, ast.AST]]:
    """Yield the functions (methods, views) whose header a step owns."""
    return ((name, node) for name, node in code.nodes(number)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _is_broad(handler: ast.ExceptHandler) -> bool:
    """Tell whether a handler catches everything and does not re-raise.

    ``except:``, ``except Exception:`` and ``except BaseException:`` (or
    a tuple holding one of them) are broad; one that ends in a bare
    ``raise`` only cleans up on the way out, which hides nothing.
    """
    caught = handler.type
    kinds = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    broad = caught is None or any(
        isinstance(kind, ast.Name) and kind.id in _BROAD_ERRORS or
        isinstance(kind, ast.Attribute) and kind.attr in _BROAD_ERRORS
        for kind in kinds)
    reraises = any(isinstance(item, ast.Raise) and item.exc is None
                   for statement in handler.body
                   for item in ast.walk(statement))
    return broad and not reraises


def _none_guard(node: ast.AST) -> bool:
    """Tell whether node is an ``if`` that tests a value against None.

    ``if x is None``, ``if x == None`` and ``if not x`` all refuse a
    missing value before it reaches a query.
    """
    return isinstance(node, ast.If) and _tests_none(node.test)


def _tests_none(test: ast.AST) -> bool:
    """Tell whether a condition is true for None: a guard against it."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, (ast.Name, ast.Attribute))
    if isinstance(test, ast.BoolOp):
        return any(_tests_none(value) for value in test.values)
    return isinstance(test, ast.Compare) and any(
        isinstance(operator, (ast.Is, ast.Eq)) for operator in test.ops) \
        and any(_is_none(operand)
                for operand in [test.left] + list(test.comparators))


def _is_none(node: ast.AST) -> bool:
    """Tell whether node is the constant None."""
    return isinstance(node, ast.Constant) and node.value is None


# The detectors: one per key of the catalogue. Each is given the whole
# submission and its comment's step, reads only that step's own code, and
# returns the first place its comment applies to, or None.

Detector = Callable[[Submission, int], Optional[Place]]
DETECTORS: Dict[str, Detector] = {}


def detector(key: str) -> Callable[[Detector], Detector]:
    """Register a function as the detector of a catalogue key."""
    def register(function: Detector) -> Detector:
        """Keep the function under its key; a key gets one detector."""
        if key in DETECTORS:
            raise ValueError("two detectors for {}".format(key))
        DETECTORS[key] = function
        return function
    return register


def _broad_except(code: Submission, number: int) -> Optional[Place]:
    """Find an except clause in a step's code that catches everything."""
    return _first((name, node) for name, node in code.nodes(number)
                  if isinstance(node, ast.ExceptHandler) and _is_broad(node))


for _key in ("update-user-broad-except", "register-user-broad-except",
             "register-endpoint-broad-except", "valid-login-broad-except",
             "create-session-broad-except", "update-password-broad-except"):
    detector(_key)(_broad_except)


@detector("email-unique-constraint")
def _email_unique(code: Submission, number: int) -> Optional[Place]:
    """Find an email column declared unique."""
    return _first(
        (name, node) for name, node in code.nodes(number)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        and any(isinstance(target, ast.Name) and target.id == "email"
                for target in node.targets)
        and _is_constant(_keyword(node.value, "unique"), True))


@detector("flush-before-commit")
def _flush_before_commit(code: Submission, number: int) -> Optional[Place]:
    """Find a flush() in a function of the step that also commits."""
    for name, function in _functions(code, number):
        flushes = [node for node in ast.walk(function)
                   if _called(node, "flush")]
        if flushes and any(_called(node, "commit")
                           for node in ast.walk(function)):
            return name, flushes[0].lineno
    return None


@detector("first-then-raise")
def _first_then_raise(code: Submission, number: int) -> Optional[Place]:
    """Find a function of the step that takes .first() and raises."""
    for name, function in _functions(code, number):
        nodes = list(ast.walk(function))
        raises = [node for node in nodes if isinstance(node, ast.Raise)]
        if raises and any(_called(node, "first") for node in nodes):
            return name, function.lineno
    return None


@detector("find-user-loads-every-row")
def _loads_every_row(code: Submission, number: int) -> Optional[Place]:
    """Find a query of every row (.all()) in the step's code."""
    return _first(_calls(code, number, "all"))


@detector("print-in-find-user-by")
def _print_in_step(code: Submission, number: int) -> Optional[Place]:
    """Find a print() call in the step's code."""
    return _first((name, node) for name, node in code.nodes(number)
                  if isinstance(node, ast.Call)
                  and isinstance(node.func, ast.Name)
                  and node.func.id == "print")


@detector("update-user-hasattr")
def _update_hasattr(code: Submission, number: int) -> Optional[Place]:
    """Find a hasattr() check in the step's code."""
    return _first(_calls(code, number, "hasattr"))


@detector("update-user-column-check")
def _column_check(code: Submission, number: int) -> Optional[Place]:
    """Find a look at the table's or the mapper's columns."""
    return _first(
        (name, node) for name, node in code.nodes(number)
        if isinstance(node, ast.Attribute) and node.attr in (
            "__table__", "__mapper__", "columns", "column_attrs"))


@detector("commit-per-attribute")
def _commit_in_loop(code: Submission, number: int) -> Optional[Place]:
    """Find a commit() inside a loop of the step's code."""
    for name, loop in code.nodes(number):
        if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
            for statement in loop.body:
                for node in ast.walk(statement):
                    if _called(node, "commit"):
                        return name, node.lineno
    return None


@detector("hash-stored-as-str")
def _hash_decoded(code: Submission, number: int) -> Optional[Place]:
    """Find a .decode() in the step's code: the hash turned into a str."""
    return _first((name, node) for name, node in code.nodes(number)
                  if isinstance(node, ast.Call)
                  and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "decode")


@detector("debug-mode-on")
def _debug_mode(code: Submission, number: int) -> Optional[Place]:
    """Find Flask's debug mode turned on: by app.run, the app or config."""
    for name, node in code.nodes(number):
        if _called(node, "run", "update"):
            assert isinstance(node, ast.Call)
            if _is_constant(_keyword(node, "debug"), True) or \
                    _is_constant(_keyword(node, "DEBUG"), True):
                return name, node.lineno
        if isinstance(node, ast.Assign) and \
                _is_constant(node.value, True) and any(
                    _names_debug(target) for target in node.targets):
            return name, node.lineno
    return None


def _names_debug(target: ast.AST) -> bool:
    """Tell whether an assignment target is app.debug or a DEBUG key."""
    if isinstance(target, ast.Attribute):
        return target.attr == "debug"
    return isinstance(target, ast.Subscript) and any(
        _is_constant(item, "DEBUG") for item in ast.walk(target.slice))


@detector("dict-instead-of-jsonify")
def _returns_dict(code: Submission, number: int) -> Optional[Place]:
    """Find a view of the step that returns a dict literal."""
    for name, function in _functions(code, number):
        if not view_routes(function):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Return) and \
                    isinstance(node.value, ast.Dict):
                return name, node.lineno
    return None


@detector("form-index-raises-400")
def _form_index(code: Submission, number: int) -> Optional[Place]:
    """Find request.form[...] read by index in the step's code."""
    return _first(
        (name, node) for name, node in code.nodes(number)
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "form")


@detector("hash-compared-with-equals")
def _hash_equals(code: Submission, number: int) -> Optional[Place]:
    """Find == or != between values that a hash is part of."""
    for name, node in code.nodes(number):
        if not isinstance(node, ast.Compare) or not any(
                isinstance(operator, (ast.Eq, ast.NotEq))
                for operator in node.ops):
            continue
        operands = [node.left] + list(node.comparators)
        if any(_is_none(operand) for operand in operands):
            continue
        if any("hash" in word.lower() for operand in operands
               for word in _words(operand)):
            return name, node.lineno
    return None


@detector("checkpw-used")
def _checkpw(code: Submission, number: int) -> Optional[Place]:
    """Find bcrypt.checkpw in the step's code."""
    return _first(_calls(code, number, "checkpw"))


@detector("password-printed-or-logged")
def _password_written(code: Submission, number: int) -> Optional[Place]:
    """Find a print or a logging call that is given a password."""
    for name, node in code.nodes(number):
        if not isinstance(node, ast.Call):
            continue
        is_print = isinstance(node.func, ast.Name) and \
            node.func.id == "print"
        if not (is_print or _called(node, *_LOGGING_CALLS)):
            continue
        given = list(node.args) + [keyword.value
                                   for keyword in node.keywords]
        if any("password" in word.lower() for value in given
               for word in _words(value)):
            return name, node.lineno
    return None


@detector("uuid-hex")
def _uuid_hex(code: Submission, number: int) -> Optional[Place]:
    """Find the .hex form of a UUID in the step's code."""
    return _first((name, node) for name, node in code.nodes(number)
                  if isinstance(node, ast.Attribute) and node.attr == "hex")


@detector("uuid1-leaks-host")
def _uuid1(code: Submission, number: int) -> Optional[Place]:
    """Find uuid1() in the step's code."""
    return _first(_calls(code, number, "uuid1"))


@detector("cookie-not-httponly")
def _cookie_not_httponly(code: Submission, number: int) -> Optional[Place]:
    """Find a set_cookie() that leaves HttpOnly out or turns it off.

    A call that passes its options from a dict (``**options``) or a
    value worked out at run time may well set it: no advice then.
    """
    for name, call in _calls(code, number, "set_cookie"):
        assert isinstance(call, ast.Call)
        if any(keyword.arg is None for keyword in call.keywords):
            continue
        httponly = _keyword(call, "httponly")
        if httponly is None or _is_constant(httponly, False):
            return name, call.lineno
    return None


@detector("session-id-none-guarded")
def _session_guarded(code: Submission, number: int) -> Optional[Place]:
    """Find an ``if`` that refuses a missing session id in the step."""
    return _first((name, node) for name, node in code.nodes(number)
                  if _none_guard(node))


detector("reset-token-none-guarded")(_session_guarded)


@detector("logout-redirect-hardcoded")
def _redirect_literal(code: Submission, number: int) -> Optional[Place]:
    """Find a redirect() to a path written out as text."""
    for name, call in _calls(code, number, "redirect"):
        assert isinstance(call, ast.Call)
        if call.args and isinstance(call.args[0], ast.Constant) and \
                isinstance(call.args[0].value, str):
            return name, call.lineno
    return None


@detector("profile-abort-403")
def _abort_403(code: Submission, number: int) -> Optional[Place]:
    """Find abort(403) in the step's code."""
    for name, call in _calls(code, number, "abort"):
        assert isinstance(call, ast.Call)
        if call.args and _is_constant(call.args[0], 403):
            return name, call.lineno
    return None


@detector("reset-token-never-expires")
def _token_forever(code: Submission, number: int) -> Optional[Place]:
    """Find the step's function when nothing in it keeps a token's age."""
    header: Optional[Place] = None
    for name, node in code.nodes(number):
        if header is None and isinstance(node, _FUNCTION_NODES):
            header = name, node.lineno
        if isinstance(node, (ast.Name, ast.Attribute, ast.arg)) and any(
                part.lower() in _TIME_WORDS for found in _words(node)
                for part in _NAME_PART.findall(found)):
            return None
    return header


@detector("reset-email-reveals-accounts")
def _answers_403(code: Submission, number: int) -> Optional[Place]:
    """Find the 403 with which a view of the step refuses an email."""
    return _first((name, node) for name, node in code.nodes(number)
                  if _is_constant(node, 403))


@detector("requests-without-timeout")
def _no_timeout(code: Submission, number: int) -> Optional[Place]:
    """Find a request of requests (or of its Session) without a timeout."""
    nodes = list(code.nodes(number))
    clients: Set[str] = {"requests"} | _sessions(node for _, node in nodes)
    for name, node in nodes:
        if isinstance(node, ast.Call) and \
                isinstance(node.func, ast.Attribute) and \
                node.func.attr in _HTTP_CALLS and \
                isinstance(node.func.value, ast.Name) and \
                node.func.value.id in clients and \
                _keyword(node, "timeout") is None and \
                all(keyword.arg is not None for keyword in node.keywords):
            return name, node.lineno
    return None


def _sessions(nodes: Iterable[ast.AST]) -> Set[str]:
    """Return the names bound to a ``requests.Session()``."""
    found: Set[str] = set()
    for node in nodes:
        targets: List[Optional[ast.AST]] = []
        if isinstance(node, ast.Assign) and _called(node.value, "Session"):
            targets = list(node.targets)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in node.items
                       if _called(item.context_expr, "Session")]
        found.update(target.id for target in targets
                     if isinstance(target, ast.Name))
    return found
