#!/usr/bin/env python3
"""Tests of the checker itself: grading, hostile submissions, exit codes.

The submissions graded here are built at test time: solution/ copied into a
temporary folder, then changed by a few edits, by a fixture folder of
selftest/fixtures/submissions/ laid over it, or by junk added to it. Most
tests grade in this process (fast: the heavy libraries are imported once);
a few run ``python -m kata`` where the exit status or the purity of stdout
is the point. The report formats are compared to golden files in
test_report_golden.py.
"""
import hashlib
import json
import os
import py_compile
import shutil
import signal
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Set, Tuple)

import psutil
import pytest

from kata import cli
from kata.catalogue import overlays
from kata.catalogue.steps import (REPO_ROOT, SOLUTION_DIR, SUBMISSION_FILES,
                                  step)
from kata.grading import grader
from kata.reports import report
from kata.sandbox import jail
from kata.sandbox.remote import BACKSTOP_FACTOR
from kata.verdict import intake, model

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "submissions"
SCHEMA_PATH = REPO_ROOT / "kata" / "reports" / "report.schema.json"
ISOLATE = jail.bwrap_works()
# Grading a hostile submission may take its time limit plus the set-up
# (copies, style checks, forks) on a busy 2-core machine.
SLACK = 15.0
HANG_LIMIT = 3.0
RUN_LIMIT = 15.0
DOCUMENTED_KEYS = {"submission", "tasks", "score"}
TASK_KEYS = {"task", "title", "passed", "checks"}
CHECK_KEYS = {"name", "kind", "passed", "message"}
KINDS = {"files", "style", "spec"}
Fingerprint = Dict[str, Tuple[int, str, int]]


# -- building submissions ---------------------------------------------------

def make_submission(root: Path, name: str, fixture: Optional[str] = None,
                    edits: Sequence[Tuple[str, str, str]] = ()) -> Path:
    """Copy solution/ to root/name, apply edits, lay a fixture folder over.

    Each edit is (file, old, new); old must occur exactly once in the file.
    """
    variant = overlays.Overlay(
        name, "a submission built by a test",
        tuple(overlays.Edit(*edit) for edit in edits))
    folder = variant.apply(root / name)
    if fixture is not None:
        for source in sorted((FIXTURES / fixture).iterdir()):
            shutil.copy2(str(source), str(folder / source.name))
    for child in folder.iterdir():
        if child.suffix == ".py":
            child.chmod(0o755)
    return folder


def fingerprint(folder: Path) -> Fingerprint:
    """Return mode bits, content hash and mtime of everything in folder.

    Symbolic links are recorded, not followed; FIFOs and the like are never
    opened. Directories are included, so a file created and deleted again
    shows as a changed mtime.
    """
    found: Fingerprint = {}
    for top, directories, files in os.walk(str(folder)):
        for name in [".", *directories, *files]:
            path = os.path.join(top, name)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    content = hashlib.sha256(handle.read()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            else:
                content = ""
            key = os.path.normpath(os.path.relpath(path, str(folder)))
            found[key] = (info.st_mode, content, info.st_mtime_ns)
    return found


# -- processes ----------------------------------------------------------------

def live_descendants() -> Set[int]:
    """Return the pids of this process's live (not zombie) descendants."""
    pids = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                pids.add(child.pid)
        except psutil.Error:
            pass
    return pids


def marked_processes(marker: str) -> List[psutil.Process]:
    """Return the live processes whose command line holds marker."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if marker in " ".join(process.info["cmdline"] or ()):
            found.append(process)
    return found


def settle(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    """Wait until condition holds (a SIGKILL takes a moment); return it."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def describe(pids: Set[int]) -> str:
    """Return the command lines of pids, for an assertion message."""
    lines = []
    for pid in sorted(pids):
        try:
            lines.append("{}: {}".format(
                pid, " ".join(psutil.Process(pid).cmdline())))
        except psutil.Error:
            lines.append("{}: (gone)".format(pid))
    return "\n".join(lines)


@pytest.fixture
def marker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Give the test a unique `sleep` argument; kill what still holds it.

    The fixture submission setsid-child reads it from the environment, which
    the sandboxed runs inherit. Whatever still runs with it at the end was
    left behind by the checker: the test has already said so; this cleans
    up after it, killing only those processes, by pid.
    """
    value = "{}.{}".format(700000 + os.getpid() % 100000,
                           time.monotonic_ns() % 1000000)
    monkeypatch.setenv("KATA_SELFTEST_MARKER", value)
    yield value
    for process in marked_processes(value):
        try:
            process.kill()
        except psutil.Error:
            pass


# -- grading ------------------------------------------------------------------

@dataclass
class Graded:
    """A grade made in this process, with everything a test looks at."""

    grade: model.Grade
    data: Dict[str, Any]
    seconds: float
    text: str
    junit: str


class GradingHung(Exception):
    """The checker did not return in time: its own time limits failed."""


def _hung(signum: int, frame: Any) -> None:
    """Stop a grading that outlived its time limits by far."""
    raise GradingHung("grading did not return: the checker's time limit "
                      "did not stop the run")


def grade(folder: Path, steps: Sequence[int], timeout: float = RUN_LIMIT,
          isolate: bool = True) -> Graded:
    """Grade folder's steps here and render every report format.

    Should the checker's own time limit fail, an alarm ends the grading
    (run_specs stops its runs on the way out) instead of hanging the suite.
    """
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _hung)
    # A run's limit is CPU time: on a busy machine only the wall-clock
    # backstop, BACKSTOP_FACTOR times the limit, bounds the grading.
    signal.setitimer(signal.ITIMER_REAL, 2 * BACKSTOP_FACTOR * timeout
                     * len(steps) + SLACK)
    try:
        result = grader.grade(folder, [step(number) for number in steps],
                              jobs=2, isolate=isolate, timeout=timeout)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.monotonic() - started
    return Graded(result, json.loads(report.to_json(result)), seconds,
                  report.to_text(result, show_output=True),
                  report.to_junit(result))


def task_of(data: Dict[str, Any], number: int) -> Dict[str, Any]:
    """Return the JSON part of one task."""
    return next(task for task in data["tasks"] if task["task"] == number)


def failed_messages(data: Dict[str, Any], kind: str = "spec") -> List[str]:
    """Return the messages of every failed check of one kind."""
    return [check["name"] + ": " + check["message"]
            for task in data["tasks"] for check in task["checks"]
            if check["kind"] == kind and not check["passed"]]


def run_checker(*arguments: str) -> subprocess.CompletedProcess:
    """Run `python -m kata` as checker.sh does, from the repository."""
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT),
                       PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "kata", *arguments],
                          cwd=str(REPO_ROOT), env=environment,
                          capture_output=True, text=True, timeout=120)


# -- the reference solution ---------------------------------------------------

@pytest.fixture(scope="module")
def solution_run(tmp_path_factory: pytest.TempPathFactory,
                 ) -> Dict[str, Any]:
    """Grade steps 0 and 5 of solution/ with the real command line."""
    junit = tmp_path_factory.mktemp("solution") / "report.xml"
    done = run_checker("solution/", "--step", "0", "--step", "5", "--json",
                       "--junit", str(junit))
    return {"done": done, "junit": junit}


def test_solution_subset_passes_with_exit_0(
        solution_run: Dict[str, Any]) -> None:
    """solution/ passes every check of the graded tasks; exit status 0."""
    done = solution_run["done"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(done.stdout)
    assert [task["task"] for task in data["tasks"]] == [0, 5]
    assert data["score"] == 100
    for task in data["tasks"]:
        failed = [check for check in task["checks"] if not check["passed"]]
        assert task["passed"] and not failed, failed
        assert {check["kind"] for check in task["checks"]} == KINDS


def test_json_stdout_is_only_json_with_the_documented_keys(
        solution_run: Dict[str, Any]) -> None:
    """--json prints one JSON document and nothing else on stdout."""
    done = solution_run["done"]
    data = json.loads(done.stdout)  # any extra text would not parse
    assert done.stdout.lstrip().startswith("{")
    assert DOCUMENTED_KEYS <= set(data)
    assert data["submission"] == str(SOLUTION_DIR)
    assert isinstance(data["score"], (int, float))
    for task in data["tasks"]:
        assert TASK_KEYS <= set(task), task.keys()
        assert isinstance(task["task"], int)
        assert isinstance(task["title"], str) and task["title"]
        assert isinstance(task["passed"], bool)
        for check in task["checks"]:
            assert CHECK_KEYS <= set(check), check.keys()
            assert check["kind"] in KINDS, check
            assert isinstance(check["name"], str) and check["name"]
            assert isinstance(check["passed"], bool)
            assert isinstance(check["message"], str)


def test_json_report_validates_against_the_schema(
        solution_run: Dict[str, Any]) -> None:
    """The --json report matches kata/reports/report.schema.json."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    validator = jsonschema.Draft202012Validator
    validator.check_schema(schema)
    data = json.loads(solution_run["done"].stdout)
    validator(schema).validate(data)


@pytest.mark.parametrize("spoil", [
    "kind is not files, style or spec",
    "a check has no message",
    "score is a string",
    "tasks is missing",
])
def test_schema_rejects_a_wrong_report(solution_run: Dict[str, Any],
                                       spoil: str) -> None:
    """The schema is strict enough to catch a report of the wrong shape."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    data = json.loads(solution_run["done"].stdout)
    check = data["tasks"][0]["checks"][0]
    if spoil.startswith("kind"):
        check["kind"] = "lint"
    elif spoil.startswith("a check"):
        del check["message"]
    elif spoil.startswith("score"):
        data["score"] = "100"
    else:
        del data["tasks"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema, jsonschema.Draft202012Validator)


def test_junit_has_one_testcase_per_check(
        solution_run: Dict[str, Any]) -> None:
    """--junit writes XML that parses, a test case per check of the report."""
    data = json.loads(solution_run["done"].stdout)
    root = ElementTree.parse(str(solution_run["junit"])).getroot()
    cases = root.findall(".//testcase")
    checks = [check for task in data["tasks"] for check in task["checks"]]
    assert len(cases) == len(checks)
    assert [case.get("name") for case in cases] == [
        check["name"] for check in checks]
    assert len(root.findall(".//testsuite")) == len(data["tasks"])
    assert not root.findall(".//failure")


# -- broken and badly styled submissions --------------------------------------

def test_one_broken_task_fails_exactly_that_task(tmp_path: Path) -> None:
    """register_user with another duplicate message fails task 5 alone.

    The graded tasks share auth.py with task 5 or call register_user.
    """
    folder = make_submission(tmp_path, "broken-register", edits=[(
        "auth.py", 'raise ValueError("User {} already exists"',
        'raise ValueError("Email {} is taken"')])
    graded = grade(folder, [4, 5, 7, 8, 9, 10, 11])
    verdicts = {task["task"]: task["passed"] for task in graded.data["tasks"]}
    assert verdicts == {4: True, 5: False, 7: True, 8: True, 9: True,
                        10: True, 11: True}, failed_messages(graded.data)
    task = task_of(graded.data, 5)
    failed = [check for check in task["checks"] if not check["passed"]]
    assert failed and all(check["kind"] == "spec" for check in failed)
    assert all(check["message"] for check in failed)
    assert task["works"] is False and task["style_ok"] is True


def test_works_but_lacks_annotations(tmp_path: Path) -> None:
    """Spec passes, a style check fails, and the report tells them apart."""
    folder = make_submission(tmp_path, "no-annotations", edits=[(
        "db.py",
        "def add_user(self, email: str, hashed_password: str) -> User:",
        "def add_user(self, email, hashed_password):")])
    graded = grade(folder, [1])
    task = task_of(graded.data, 1)
    assert task["passed"] is False
    assert task["works"] is True and task["style_ok"] is False
    failed = [check for check in task["checks"] if not check["passed"]]
    assert {check["kind"] for check in failed} == {"style"}
    assert any("G6" in check["name"] and "add_user" in check["message"]
               for check in failed), failed
    spec = [check for check in task["checks"] if check["kind"] == "spec"]
    assert spec and all(check["passed"] for check in spec)
    assert "works, but style problems" in graded.text


def test_wrong_answer_is_not_working_but_well_styled(tmp_path: Path) -> None:
    """The opposite case: a wrong table name fails the spec, not the style."""
    folder = make_submission(tmp_path, "wrong-table", edits=[(
        "user.py", '__tablename__ = "users"', '__tablename__ = "user"')])
    graded = grade(folder, [0])
    task = task_of(graded.data, 0)
    assert task["works"] is False and task["style_ok"] is True
    assert any("'users'" in message
               for message in failed_messages(graded.data)), graded.text
    assert "works, but" not in graded.text


# -- hostile submissions ------------------------------------------------------

def no_utf8(folder: Path) -> None:
    """Make user.py hold a byte that is not UTF-8 (a Latin-1 comment)."""
    with open(str(folder / "user.py"), "ab") as handle:
        handle.write(b"# caf\xe9 cr\xe8me\n")


def nul_bytes(folder: Path) -> None:
    """Make user.py a binary file: NUL bytes after the code."""
    with open(str(folder / "user.py"), "ab") as handle:
        handle.write(b"\x00\x01\x02\xff binary\n")


def loop_in_a_method(folder: Path) -> None:
    """Make register_user loop forever; importing auth.py still works."""
    path = folder / "auth.py"
    path.write_text(path.read_text().replace(
        '        """Register a new user; raise ValueError if the email is '
        'taken."""\n',
        '        """Register a new user; raise ValueError if the email is '
        'taken."""\n        while True:\n            pass\n'))


def missing_auth(folder: Path) -> None:
    """Remove auth.py from the submission."""
    (folder / "auth.py").unlink()


@dataclass(frozen=True)
class Hostile:
    """A hostile submission and what its grade must say."""

    fixture: Optional[str]
    steps: Tuple[int, ...]
    # None: either way (deleting the whole sandbox can outlast a time-out).
    timed_out: Optional[bool]
    reason: str
    kind: str = "spec"
    build: Optional[Callable[[Path], None]] = None


HOSTILE = {
    "infinite loop at import": Hostile(
        "loop-at-import", (0,), True, "timed out: importing user.py"),
    "raw socket server at import": Hostile(
        "socket-server-at-import", (0,), True, "timed out: importing user.py"),
    "infinite loop in a method": Hostile(
        None, (5,), True, "timed out: the call of", "spec",
        loop_in_a_method),
    "flask app.run() at import": Hostile(
        "flask-server-at-import", (6,), False, "starts a server"),
    "sys.exit(0) at import": Hostile(
        "exit-at-import", (0,), False, "exits the program"),
    "os._exit(0) at import": Hostile(
        "os-exit-at-import", (0,), False,
        "process ended during importing user.py"),
    "deleting files at import": Hostile(
        "deletes-files", (0, 1), None, ""),
    "syntax error": Hostile(
        "syntax-error", (1,), False, "does not parse"),
    "missing file": Hostile(
        None, (4,), False, "auth.py is missing", "files", missing_auth),
    "file that is not UTF-8": Hostile(
        None, (0,), False, "utf-8", "style", no_utf8),
    "binary file": Hostile(
        None, (0,), False, "null bytes", "spec", nul_bytes),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_submission_is_graded_safely(tmp_path: Path, name: str,
                                             marker: str) -> None:
    """Graded to a failing report in time; folder unchanged; nothing left."""
    case = HOSTILE[name]
    folder = make_submission(tmp_path, "hostile", case.fixture)
    if case.build is not None:
        case.build(folder)
    before, processes = fingerprint(folder), live_descendants()
    limit = HANG_LIMIT if case.timed_out else RUN_LIMIT
    graded = grade(folder, case.steps, timeout=limit)

    assert graded.seconds < BACKSTOP_FACTOR * limit + SLACK, \
        "grading took {:.1f} s".format(graded.seconds)
    assert not graded.grade.passed
    if case.timed_out is not None:
        assert [task["timed_out"] for task in graded.data["tasks"]] == [
            case.timed_out] * len(case.steps)
    messages = failed_messages(graded.data, case.kind)
    assert messages and all(message.strip() for message in messages)
    assert any(case.reason.lower() in message.lower()
               for message in messages), messages
    assert not any("Traceback (most recent" in message
                   for message in failed_messages(graded.data)), messages
    if case.timed_out:
        assert "FAIL (timed out)" in graded.text
    assert fingerprint(folder) == before, "the submission folder changed"
    assert settle(lambda: live_descendants() <= processes), describe(
        live_descendants() - processes)
    ElementTree.fromstring(graded.junit)


@pytest.fixture(scope="module")
def flood(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """Grade, with the real command line, a user.py that prints 20 MB.

    The command line, not this process, so that the runs' output really
    goes where it goes when an instructor grades (see
    test_run_output_goes_to_its_file_whatever_sys_stdout_is).
    """
    folder = make_submission(tmp_path_factory.mktemp("flood"), "flood",
                             "floods-output")
    before = fingerprint(folder)
    text = run_checker(str(folder), "--step", "0", "--show-output",
                       "--timeout", str(RUN_LIMIT))
    data = run_checker(str(folder), "--step", "0", "--json", "--timeout",
                       str(RUN_LIMIT))
    return {"text": text, "json": data, "changed": fingerprint(folder)
            != before}


def test_megabytes_of_output_are_cut(flood: Dict[str, Any]) -> None:
    """20 MB printed at import: the report shows a cut tail, not megabytes."""
    text, data = flood["text"], flood["json"]
    assert text.returncode == data.returncode == 1, text.stderr[-2000:]
    assert "bytes of output cut" in text.stdout
    assert "printed 20 MB and gave up" in text.stdout
    assert len(text.stdout) < 100000, len(text.stdout)
    assert len(data.stdout) < 100000, len(data.stdout)
    assert not json.loads(data.stdout)["tasks"][0]["passed"]
    assert not flood["changed"], "the submission folder changed"


def test_output_limit_is_not_blamed_on_sys_exit(
        flood: Dict[str, Any]) -> None:
    """The reason given for a flooded run is not a wrong guess."""
    data = json.loads(flood["json"].stdout)
    reasons = [check["message"] for check in data["tasks"][0]["checks"]
               if check["name"] == "spec run"]
    assert not any("sys.exit()" in reason for reason in reasons), reasons


def test_run_output_goes_to_its_file_whatever_sys_stdout_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's output lands in its output file, not in the checker's."""
    folder = make_submission(tmp_path, "chatty", edits=[(
        "user.py", '__tablename__ = "users"',
        '__tablename__ = "user"\n    print("CHATTY-MARKER")')])
    stream_path = tmp_path / "checker-stdout.txt"
    with open(str(stream_path), "w") as stream:
        monkeypatch.setattr(sys, "stdout", stream)
        result = grader.grade(folder, [step(0)], jobs=2, timeout=RUN_LIMIT)
        monkeypatch.undo()
    assert not result.passed
    leaked = stream_path.read_text()
    assert "CHATTY-MARKER" in result.tasks[0].output_tail
    assert "CHATTY-MARKER" not in leaked


SETSID_CASES = [
    pytest.param(True, False, id="namespaces"),
    pytest.param(False, False, id="no-namespaces"),
    pytest.param(False, True, id="no-namespaces-time-out"),
]


@pytest.mark.parametrize("isolate,hang", SETSID_CASES)
def test_child_in_its_own_session_is_killed(
        tmp_path: Path, marker: str, monkeypatch: pytest.MonkeyPatch,
        isolate: bool, hang: bool) -> None:
    """A child that calls os.setsid() and sleeps is ended with its run."""
    if hang:
        monkeypatch.setenv("KATA_SELFTEST_HANG", "1")
    folder = make_submission(tmp_path, "setsid", "setsid-child")
    before, processes = fingerprint(folder), live_descendants()
    limit = HANG_LIMIT if hang else RUN_LIMIT
    graded = grade(folder, [0], timeout=limit, isolate=isolate)
    assert graded.seconds < BACKSTOP_FACTOR * limit + SLACK
    assert graded.grade.tasks[0].timed_out is hang
    assert fingerprint(folder) == before
    assert settle(lambda: not marked_processes(marker)), (
        "left behind:\n" + "\n".join(
            " ".join(process.cmdline())
            for process in marked_processes(marker)))
    assert settle(lambda: live_descendants() <= processes), describe(
        live_descendants() - processes)


def zombie_children() -> Set[int]:
    """Return the pids of this process's children that are zombies."""
    pids = set()
    for child in psutil.Process().children():
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                pids.add(child.pid)
        except psutil.Error:
            pass
    return pids


def test_timed_out_run_leaves_no_zombie(tmp_path: Path, marker: str,
                                        monkeypatch: pytest.MonkeyPatch,
                                        ) -> None:
    """A run stopped by its time limit is reaped, children included."""
    monkeypatch.setenv("KATA_SELFTEST_HANG", "1")
    folder = make_submission(tmp_path, "setsid", "setsid-child")
    # Every child alive or dead before: one of an earlier test that ends
    # meanwhile is not this grading's zombie.
    before = {child.pid for child in psutil.Process().children()}
    graded = grade(folder, [0], timeout=HANG_LIMIT, isolate=False)
    assert graded.grade.tasks[0].timed_out
    assert not settle(lambda: bool(zombie_children() - before), 0.5), (
        describe(zombie_children() - before))


ODD_MESSAGE = "bell \\x07 escape \\x1b[2J\\x1b[31m surrogate \\udc80 end"


@pytest.fixture(scope="module")
def odd_characters(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """Grade a user.py whose import fails with control characters."""
    folder = make_submission(tmp_path_factory.mktemp("odd"), "odd")
    (folder / "user.py").write_text(
        '#!/usr/bin/env python3\n"""Fail with odd characters."""\n'
        'raise ValueError("{}")\n'.format(ODD_MESSAGE))
    started = time.monotonic()
    result = grader.grade(folder, [step(0)], jobs=2, timeout=RUN_LIMIT)
    return Graded(result, result.to_dict(),
                  time.monotonic() - started, "", "")


def test_odd_characters_make_valid_json(odd_characters: Graded) -> None:
    """A message with control characters still gives JSON that parses."""
    text = report.to_json(odd_characters.grade)
    assert "importing user.py raised ValueError" in text
    json.loads(text)


def test_odd_characters_make_valid_junit(odd_characters: Graded) -> None:
    """A message with odd characters still gives JUnit XML that parses."""
    ElementTree.fromstring(report.to_junit(odd_characters.grade))


def test_text_report_has_no_terminal_escapes(odd_characters: Graded) -> None:
    """The text report shows control characters, it does not send them."""
    text = report.to_text(odd_characters.grade)
    assert "importing user.py raised ValueError" in text
    assert not any(ord(char) < 32 and char not in "\n\t" for char in text)


# -- junk ---------------------------------------------------------------------

def add_junk(folder: Path) -> None:
    """Add what real submissions carry besides the files of the exercise.

    The __pycache__ holds a stale user.pyc compiled from a wrong user.py
    but stamped with the size and time of the real one: were it copied
    with the submission, Python would import it instead of the source.
    """
    (folder / "a.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    (folder / ".user.py.swp").write_bytes(b"b0VIM 8.2\x00" * 100)
    (folder / "main_1.py").write_text("def scratch(:\n    print('wip'\n")
    stale = folder / "stale_user.py"
    stale.write_text((folder / "user.py").read_text().replace(
        '__tablename__ = "users"', '__tablename__ = "user"'))
    pyc = folder / "__pycache__" / "user.{}.pyc".format(
        sys.implementation.cache_tag)
    pyc.parent.mkdir()
    py_compile.compile(str(stale), str(pyc), doraise=True)
    stale.unlink()
    source = (folder / "user.py").stat()
    header = bytearray(pyc.read_bytes())
    header[8:12] = (int(source.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    header[12:16] = (source.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    pyc.write_bytes(bytes(header))
    venv = folder / "venv"
    package = venv / "lib" / "python3.11" / "site-packages" / "sqlalchemy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('junk')\n")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "bin").mkdir()
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "lib64").symlink_to("lib")
    os.mkfifo(str(folder / "pipe"))


def test_junk_is_ignored_and_not_copied(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        ) -> None:
    """Junk changes nothing in the grade, and none of it is copied."""
    clean = make_submission(tmp_path, "clean")
    junky = make_submission(tmp_path, "junky")
    add_junk(junky)
    copied: List[List[str]] = []
    real_snapshot = intake.snapshot

    def spy(submission: Path, destination: Path) -> List[str]:
        """Record what the snapshot of a submission holds."""
        skipped = real_snapshot(submission, destination)
        copied.append(sorted(os.listdir(str(destination))))
        return skipped

    monkeypatch.setattr(intake, "snapshot", spy)
    before = fingerprint(junky)
    grades = grader.grade_many([clean, junky], [step(0), step(1)], jobs=2,
                               timeout=RUN_LIMIT)
    clean_data, junky_data = (item.to_dict() for item in grades)
    assert clean_data["score"] == 100, failed_messages(clean_data)
    for data in (clean_data, junky_data):
        data.pop("submission")
    assert junky_data == clean_data
    assert copied == [sorted(SUBMISSION_FILES)] * 2
    assert fingerprint(junky) == before


# -- exit statuses ------------------------------------------------------------

def test_exit_1_when_a_task_fails(tmp_path: Path,
                                  capsys: pytest.CaptureFixture) -> None:
    """The command line returns 1, and says FAIL, when a task fails."""
    folder = make_submission(tmp_path, "wrong-table", edits=[(
        "user.py", '__tablename__ = "users"', '__tablename__ = "user"')])
    code = cli.main([str(folder), "--step", "0", "--timeout", "15"])
    out = capsys.readouterr().out
    assert code == cli.EXIT_FAIL == 1
    assert "FAIL" in out and "Score: 0/1 tasks passed" in out
    assert "steps/00-user-model/README.md" in out


@pytest.mark.parametrize("arguments", [
    ["/nonexistent/submission"],
    ["README.md"],
    ["solution/", "--step", "99"],
    ["solution/", "--step", "two"],
    ["solution/", "--no-such-option"],
], ids=["no-such-folder", "a-file", "step-99", "step-two", "bad-option"])
def test_exit_2_on_a_usage_error(arguments: List[str]) -> None:
    """A usage error exits 2 with a message on stderr, nothing on stdout."""
    done = run_checker(*arguments, "--json")
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stdout == ""
    assert done.stderr.strip() and "Traceback" not in done.stderr


@pytest.mark.skipif(not ISOLATE, reason="needs bubblewrap")
def test_run_cannot_write_outside_its_own_folder(tmp_path: Path) -> None:
    """Absolute paths do not let student code reach the original folder."""
    marker = tmp_path / "written-by-the-submission"
    folder = make_submission(tmp_path, "reaching-out")
    target = folder / "README.md"
    with open(str(folder / "user.py"), "a") as handle:
        handle.write(
            "for _path in ({!r}, {!r}):\n"
            "    try:\n"
            "        open(_path, 'a').write('x')\n"
            "    except OSError:\n"
            "        pass\n".format(str(target), str(marker)))
    before = fingerprint(folder)
    grade(folder, (0,))
    assert fingerprint(folder) == before, "the submission folder changed"
    assert not marker.exists(), "the run wrote outside its own folder"
