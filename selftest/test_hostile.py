#!/usr/bin/env python3
"""Hostile submissions graded through the sandbox: the jail must hold.

Each folder of selftest/fixtures/hostile/ is a submission that implements
nothing of the exercise and, at import, tries to forge its grade, to read
or write what it must not, to leave the sandbox or to exhaust the machine.
Every one is copied into a temporary folder and graded through
``kata.grading.grade``. A forging attack must score no task; a probe
reports from inside what it managed to do, in an exception message led by
the tag PROBE, and that list must be empty. For every attack, the
submission folder stays byte-identical, nothing appears on the host where
the attacks write, no process of the attack survives the grading and the
text report carries nothing the submission meant to forge.
"""
import hashlib
import json
import os
import shutil
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import psutil
import pytest

from kata import grading, jail, report
from kata.steps import REPO_ROOT, STEPS, step

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
ISOLATED = jail.bwrap_works()
ROOT = os.getuid() == 0
NO_SANDBOX = "bubblewrap cannot make its namespaces here: the submission " \
    "would run unconfined, so there is no isolation to test"
ROOT_ONLY = "the jail's cgroup limits are made only when grading as root"
TIMEOUT = 20.0
PROBE_TAG = "PROBE "
SLEEP_MARKER = "600.424242"
HOST_NAME_PREFIX = "kata-hostile-"
# The kata's files that the probes try to overwrite.
TARGET_FILES = ("kata/steps.py", "kata/grading.py", "solution/auth.py",
                "solution/user.py", "tests/conftest.py", "pytest.ini")
ALL_STEPS = tuple(item.number for item in STEPS)
Fingerprint = Dict[str, Tuple[int, str]]


@dataclass(frozen=True)
class Attack:
    """A hostile fixture: what it is, and which steps grade it."""

    kind: str
    steps: Tuple[int, ...]
    # Each sealed run starts from nothing: an attack that takes seconds at
    # every import needs more than one import's worth of time.
    timeout: float = TIMEOUT


ATTACKS: Dict[str, Attack] = {
    "forge-report-failed": Attack("forge", ALL_STEPS),
    "forge-pytest-plugin": Attack("forge", ALL_STEPS),
    "forge-exit-zero": Attack("forge", ALL_STEPS),
    "forge-answer-ok": Attack("forge", ALL_STEPS),
    "forge-answer-plausible": Attack("forge", ALL_STEPS),
    "forge-answer-raised": Attack("forge", ALL_STEPS),
    "forge-channel-garbage": Attack("forge", ALL_STEPS),
    "forge-kill-zygote": Attack("forge", ALL_STEPS),
    "report-forging": Attack("forge", (0, 5)),
    "probe-read": Attack("probe", (0,)),
    "probe-write": Attack("probe", (5,)),
    "probe-escape": Attack("probe", (6,)),
    "probe-network": Attack("probe", (0,)),
    "probe-sysctl": Attack("probe", (1,)),
    "fork-bomb": Attack("resource", (0,)),
    "memory-hog": Attack("resource", (0,), timeout=6 * TIMEOUT),
    "big-file": Attack("resource", (0,)),
    "setsid-sleeper": Attack("resource", (1,)),
    "fake-value-error": Attack("forge", (5,)),
    "adb-view-randomblob": Attack("reader", (1,)),
    "adb-trigger": Attack("reader", (1,)),
    "adb-many-rows": Attack("reader", (1,)),
    "adb-huge-values": Attack("reader", (1,)),
    "adb-many-columns": Attack("reader", (1,)),
}
FORGING = sorted(name for name, attack in ATTACKS.items()
                 if attack.kind == "forge")
PROBES = sorted(name for name, attack in ATTACKS.items()
                if attack.kind in ("probe", "resource")
                and name != "setsid-sleeper")
# Attacks on the judge's reading of a.db (kind "reader"): the reason one
# of their failed checks must give.
READER_REASONS = {
    "adb-view-randomblob": "users in a.db is a view, not a table",
    "adb-trigger": "users in a.db is a trigger, not a table",
    "adb-many-rows": "gives more than 10000 rows",
    "adb-huge-values": "a.db cannot be read: string or blob too big",
    "adb-many-columns": "too many columns on users",
}
# Probes that found a real hole: the test stays red-in-waiting (strict
# xfail) until the sandbox is fixed; see the reason for what got through.
HOLES: Dict[str, str] = {}


def sandbox_needed(name: str) -> bool:
    """Tell whether an attack's expectations hold only inside the sandbox."""
    return ATTACKS[name].kind in ("probe", "resource") or name in (
        "forge-kill-zygote", "forge-channel-garbage")


def fingerprint(folder: Path) -> Fingerprint:
    """Return the mode and content hash of everything below folder.

    Links are recorded, not followed; special files are never opened;
    __pycache__ folders (written by the checker's own imports) are left
    out.
    """
    found: Fingerprint = {}
    for top, folders, files in os.walk(str(folder)):
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in [".", *folders, *files]:
            path = os.path.join(top, name)
            info = os.lstat(path)
            content = ""
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    content = hashlib.sha256(handle.read()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            found[os.path.relpath(path, str(folder))] = (info.st_mode,
                                                         content)
    return found


def host_targets() -> List[Path]:
    """Return the host folders the attacks try to write into."""
    sites = [Path(entry) for entry in sys.path if "site-packages" in entry]
    runtime = Path(sys.base_prefix) / "lib" / "python{}.{}".format(
        *sys.version_info[:2])
    return [Path("/tmp"), Path("/dev/shm"), Path("/"), Path("/root"),
            REPO_ROOT, REPO_ROOT / "kata", runtime, *sites]


def names_in(folder: Path) -> List[str]:
    """Return the names in a host folder (none where this user may not look).

    An attack running as the same user cannot list such a folder either.
    """
    try:
        return os.listdir(str(folder))
    except OSError:
        return []


def host_state() -> Dict[str, Any]:
    """Return what the attacks could change on the host, to compare."""
    planted = sorted(
        str(folder / name) for folder in host_targets()
        for name in names_in(folder)
        if name.startswith(HOST_NAME_PREFIX) or name in (
            "sitecustomize.py", "usercustomize.py", "kata_forge.py",
            "kata-hostile.pth"))
    targets = {}
    for relative in TARGET_FILES:
        path = REPO_ROOT / relative
        targets[relative] = hashlib.sha256(path.read_bytes()).hexdigest() \
            if path.is_file() else ""
    return {"planted": planted, "targets": targets}


def sleepers() -> List[psutil.Process]:
    """Return the live processes that run the attack's marked sleep."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if SLEEP_MARKER in (process.info["cmdline"] or ()):
            found.append(process)
    return found


def kill_sleepers() -> int:
    """Kill the marked sleepers, by pid; return how many there were."""
    found = sleepers()
    for process in found:
        try:
            process.kill()
        except psutil.Error:
            pass
    return len(found)


@dataclass
class Graded:
    """One attack's grade and what was observed around it."""

    name: str
    grade: grading.Grade
    text: str
    data: Dict[str, Any]
    seconds: float
    folder_changed: bool
    host_before: Dict[str, Any]
    host_after: Dict[str, Any]
    survivors: List[str]
    crashed: Optional[str]


_GRADED: Dict[str, Graded] = {}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Give the module one temporary folder for the copies of the attacks."""
    yield tmp_path_factory.mktemp("hostile")
    kill_sleepers()


def graded(name: str, root: Path) -> Graded:
    """Grade an attack's copy once; later calls return the same grade."""
    if name in _GRADED:
        return _GRADED[name]
    folder = root / name
    shutil.copytree(str(HOSTILE / name), str(folder))
    before, host_before = fingerprint(folder), host_state()
    started = time.monotonic()
    crashed = None
    try:
        result = grading.grade(folder, [step(number) for number in
                                        ATTACKS[name].steps],
                               jobs=2, timeout=ATTACKS[name].timeout)
    except Exception as error:  # the checker must not crash: a finding
        crashed = "{}: {}".format(type(error).__name__, error)
        result = grading.Grade(str(folder), [], "", None)
    seconds = time.monotonic() - started
    survivors = [" ".join(process.cmdline()) for process in sleepers()]
    kill_sleepers()
    text = report.to_text(result, show_output=True) if result.tasks else ""
    data = json.loads(report.to_json(result)) if result.tasks else {}
    _GRADED[name] = Graded(name, result, text, data, seconds,
                           fingerprint(folder) != before, host_before,
                           host_state(), survivors, crashed)
    return _GRADED[name]


def messages(result: Graded) -> List[str]:
    """Return the messages of every failed check of the grade."""
    return [check.message for check in result.grade.checks
            if not check.passed]


def probe_report(result: Graded) -> Dict[str, Any]:
    """Return the findings and notes a probe sent out in its message."""
    for message in messages(result):
        if PROBE_TAG in message:
            text = message.split(PROBE_TAG, 1)[1]
            try:
                found, _ = json.JSONDecoder().raw_decode(text)
            except ValueError:
                pytest.fail("the probe's report does not parse (too many "
                            "findings?): " + message)
            return found
    pytest.fail("no check carries the probe's report; the messages were:\n"
                + "\n".join(messages(result)[:10]))
    return {}  # never reached: pytest.fail raises


def skip_without_sandbox(name: str) -> None:
    """Skip an isolation test where bubblewrap does not run."""
    if sandbox_needed(name) and not ISOLATED:
        pytest.skip(NO_SANDBOX)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_graded_and_contained(name: str, workspace: Path) -> None:
    """A failing report in time; folder, host and processes left intact."""
    skip_without_sandbox(name)
    result = graded(name, workspace)
    assert result.crashed is None, "the checker crashed: " + result.crashed
    steps = ATTACKS[name].steps
    assert result.data["tasks_total"] == len(steps)
    assert result.data["tasks_passed"] == 0, result.text[-3000:]
    failed = messages(result)
    assert failed and all(message.strip() for message in failed)
    assert not result.folder_changed, "the submission folder changed"
    assert result.host_after == result.host_before, (
        "the attack changed the host: {}".format(
            sorted(set(result.host_after["planted"])
                   - set(result.host_before["planted"]))))
    assert not result.survivors, "left behind: {}".format(result.survivors)
    limit = (2 * len(steps) + 2) * ATTACKS[name].timeout
    assert result.seconds < limit, "grading took {:.0f} s".format(
        result.seconds)


@pytest.mark.parametrize("name", FORGING)
def test_forging_scores_nothing(name: str, workspace: Path) -> None:
    """No task of a forging attack passes, and its report says so."""
    skip_without_sandbox(name)
    result = graded(name, workspace)
    assert result.crashed is None, result.crashed
    assert not any(task.passed for task in result.grade.tasks), [
        task.step.number for task in result.grade.tasks if task.passed]
    assert result.grade.score == 0
    scores = [line for line in result.text.splitlines()
              if line.startswith("Score:")]
    assert len(scores) == 1 and scores[0].startswith(
        "Score: 0/{} tasks passed".format(len(ATTACKS[name].steps))), scores


def probe_case(name: str) -> Any:
    """Return the pytest parameter of a probe, marked if it is a hole."""
    if name in HOLES:
        return pytest.param(name, marks=pytest.mark.xfail(
            strict=True, reason=HOLES[name]))
    return name


@pytest.mark.parametrize("name", [probe_case(name) for name in PROBES])
def test_probe_finds_nothing(name: str, workspace: Path) -> None:
    """What a probe tried from inside the sandbox all failed."""
    skip_without_sandbox(name)
    if name in ("fork-bomb", "memory-hog") and not ROOT:
        pytest.skip(ROOT_ONLY)
    result = graded(name, workspace)
    found = probe_report(result)
    assert found["findings"] == [], found


@pytest.mark.parametrize("name", ["fork-bomb", "memory-hog", "big-file"])
def test_resource_attack_still_gives_a_readable_report(
        name: str, workspace: Path) -> None:
    """A fork bomb, a memory hog or a huge file: a reason, no crash."""
    skip_without_sandbox(name)
    result = graded(name, workspace)
    assert result.crashed is None, result.crashed
    spec = [check for check in result.grade.checks
            if check.kind == "spec" and not check.passed]
    assert spec, result.text
    assert all(len(check.message) > 20 for check in spec), spec
    assert "importing user.py" in spec[0].message, spec[0].message


@pytest.mark.skipif(not ROOT, reason=ROOT_ONLY)
def test_fork_bomb_meets_the_cgroup_limit(workspace: Path) -> None:
    """As root the pids cgroup stops the bomb at the jail's limit."""
    if not ISOLATED:
        pytest.skip(NO_SANDBOX)
    found = probe_report(graded("fork-bomb", workspace))
    forks = int(found["notes"][0].split(":")[1])
    assert 0 < forks <= jail.PROCESS_LIMIT, found


def test_sleeper_outlives_neither_test_nor_grading(workspace: Path) -> None:
    """The double-forked setsid sleeper is gone when the grading returns."""
    if not ISOLATED:
        pytest.skip(NO_SANDBOX)
    assert SLEEP_MARKER in (HOSTILE / "setsid-sleeper" / "db.py").read_text()
    result = graded("setsid-sleeper", workspace)
    assert not result.survivors, "left behind: {}".format(result.survivors)
    assert not sleepers()


FORGED_CHARACTERS = ("\x1b", "\u202e", "\r")


def test_report_cannot_be_forged(workspace: Path) -> None:
    """No raw newline, ESC or U+202E of the submission, no fake score.

    A check's message may keep a newline (JSON and XML escape it); the
    text report must show it, not break its line there.
    """
    result = graded("report-forging", workspace)
    for check in result.grade.checks:
        assert not any(char in check.message for char in FORGED_CHARACTERS)
    for text in (result.text, report.to_text(result.grade)):
        assert not any(char in text for char in FORGED_CHARACTERS)
        lines = text.splitlines()
        for line in lines:
            if "all good" in line or "dessap ksat" in line:
                assert ".py raised Forged" in line, line
        scores = [line for line in lines if line.startswith("Score:")]
        assert len(scores) == 1, scores
        assert scores[0].startswith("Score: 0/2 tasks passed"), scores
    assert "21/21" in result.text, "the forged text was not shown at all"


@pytest.mark.parametrize("name", sorted(READER_REASONS))
def test_hostile_database_costs_only_its_own_checks(
        name: str, workspace: Path) -> None:
    """A hostile a.db fails the checks that read it, with a reason.

    The checks that do not read a.db still pass: the judge read the file
    within its bounds and went on.
    """
    result = graded(name, workspace)
    assert result.crashed is None, result.crashed
    spec = [check for check in result.grade.checks if check.kind == "spec"]
    failed = [check.message for check in spec if not check.passed]
    assert any(READER_REASONS[name] in message for message in failed), \
        failed
    assert any(check.passed for check in spec), failed


def test_a_borrowed_exception_name_is_no_value_error(
        workspace: Path) -> None:
    """A class that calls itself builtins.ValueError fails step 5."""
    result = graded("fake-value-error", workspace)
    assert result.crashed is None, result.crashed
    failed = [check for check in result.grade.checks
              if check.kind == "spec" and not check.passed]
    duplicate = [check for check in failed
                 if "duplicate_email_raises_value_error" in check.name]
    assert duplicate, [check.name for check in failed]
    assert "must raise ValueError" in duplicate[0].message, \
        duplicate[0].message
