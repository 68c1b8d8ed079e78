#!/usr/bin/env python3
"""Hostile submissions graded through the sandbox: the jail must hold.

Each folder of selftest/fixtures/hostile/ is a submission that implements
nothing of the exercise and, at import, tries to forge its grade, to read
or write what it must not, to leave the sandbox or to exhaust the machine.
Every one is copied into a temporary folder and graded through
``kata.grading.grader.grade``. A forging attack must score no task; a probe
reports from inside what it managed to do, in an exception message led by
the tag PROBE, and that list must be empty, in every run's message (each
test is a sealed run of its own: what one run left, a later one would
report). For every attack, the submission folder stays byte-identical,
nothing appears on the host where the attacks write (for those that fill
or mark shared places, no new name at all in the host's /tmp and
/dev/shm), no process of the attack survives the grading and the text
report carries nothing the submission meant to forge. Symbolic links
planted wherever a run writes, graded beside a copy of the solution, leave
the kata's files and its venv unchanged and the solution's grade intact.
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

from kata.catalogue.steps import REPO_ROOT, STEPS, step
from kata.grading import grader
from kata.reports import report
from kata.sandbox import jail
from kata.verdict import model

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
# Told to the attacks that aim at the kata's files (plant-links), so that
# they aim at this checkout, never at another one that shares its venv.
KATA_ROOT_VARIABLE = "KATA_SELFTEST_KATA_ROOT"
# The host folders where a new entry of any name means a leak, and the
# attacks graded with them watched.
SHARED_HOST_FOLDERS = (Path("/tmp"), Path("/dev/shm"))
NO_NEW_HOST_ENTRY = ("locked-scratch", "seal-notes", "seal-notes-main",
                     "plant-links")
# What those attacks name what they make; never on the host.
ATTACK_MADE = ("locked-", "fill-", "kata-notes-", "kata-fingerprint-",
               "planted-")
# The temporary names that programs on a shared machine make in /tmp and
# /dev/shm while an attack is graded: the kata's own (every mkdtemp prefix
# of kata/ and tests/, made by other gradings and spec sessions, or by this
# one: the hypothesis folder where the venv cannot be written, as nobody,
# lives until the process ends), pytest's, multiprocessing's, tempfile's.
# Tolerated only when nothing an attack makes is inside.
OTHERS_TEMPORARY = ("kata-grade-", "kata-specs-", "kata-engine-", "kata-db-",
                    "kata-hypothesis-", "kata-subject-", "kata-style-",
                    "kata-pack-", "tmp", "sem.mp-", "pytest-of-",
                    "bash_tool_")
# The kata's files that the probes try to overwrite.
TARGET_FILES = ("kata/catalogue/steps.py", "kata/grading/grader.py",
                "solution/auth.py", "solution/user.py", "tests/conftest.py",
                "pytest.ini")
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
    # A forging attack that scores only where runs are not sealed: without
    # the sandbox it would find the reference or the notes it looks for.
    needs_sandbox: bool = False


ATTACKS: Dict[str, Attack] = {
    "forge-report-failed": Attack("forge", ALL_STEPS),
    "forge-pytest-plugin": Attack("forge", ALL_STEPS),
    "forge-exit-zero": Attack("forge", ALL_STEPS),
    "forge-answer-ok": Attack("forge", ALL_STEPS),
    "forge-answer-plausible": Attack("forge", ALL_STEPS),
    "forge-answer-raised": Attack("forge", ALL_STEPS),
    "forge-channel-garbage": Attack("forge", ALL_STEPS, needs_sandbox=True),
    "forge-kill-zygote": Attack("forge", ALL_STEPS, needs_sandbox=True),
    "seal-borrow-reference": Attack("forge", ALL_STEPS, needs_sandbox=True),
    "seal-notes-main": Attack("forge", (20,), needs_sandbox=True),
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
    "seal-notes": Attack("probe", (0, 1)),
    "plant-links": Attack("probe", (0, 20)),
    "locked-scratch": Attack("resource", (0,), timeout=3 * TIMEOUT),
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
    return ATTACKS[name].kind in ("probe", "resource") or \
        ATTACKS[name].needs_sandbox


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
    grade: model.Grade
    text: str
    data: Dict[str, Any]
    seconds: float
    folder_changed: bool
    host_before: Dict[str, Any]
    host_after: Dict[str, Any]
    survivors: List[str]
    crashed: Optional[str]
    shared_before: List[str]
    shared_after: List[str]


_GRADED: Dict[str, Graded] = {}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Give the module one temporary folder for the copies of the attacks.

    The attacks that aim at the kata's files are told this checkout's.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KATA_ROOT_VARIABLE, str(REPO_ROOT))
        yield tmp_path_factory.mktemp("hostile")
    kill_sleepers()


def shared_names() -> List[str]:
    """Return the paths of the entries of the host's /tmp and /dev/shm."""
    return sorted(str(folder / name) for folder in SHARED_HOST_FOLDERS
                  for name in names_in(folder))


def graded(name: str, root: Path) -> Graded:
    """Grade an attack's copy once; later calls return the same grade."""
    if name in _GRADED:
        return _GRADED[name]
    folder = root / name
    shutil.copytree(str(HOSTILE / name), str(folder))
    before, host_before = fingerprint(folder), host_state()
    shared_before = shared_names()
    started = time.monotonic()
    crashed = None
    try:
        result = grader.grade(folder, [step(number) for number in
                                       ATTACKS[name].steps],
                              jobs=2, timeout=ATTACKS[name].timeout)
    except Exception as error:  # the checker must not crash: a finding
        crashed = "{}: {}".format(type(error).__name__, error)
        result = model.Grade(str(folder), [], "", None)
    seconds = time.monotonic() - started
    survivors = [" ".join(process.cmdline()) for process in sleepers()]
    kill_sleepers()
    text = report.to_text(result, show_output=True) if result.tasks else ""
    data = json.loads(report.to_json(result)) if result.tasks else {}
    _GRADED[name] = Graded(name, result, text, data, seconds,
                           fingerprint(folder) != before, host_before,
                           host_state(), survivors, crashed, shared_before,
                           shared_names())
    return _GRADED[name]


def messages(result: Graded) -> List[str]:
    """Return the messages of every failed check of the grade."""
    return [check.message for check in result.grade.checks
            if not check.passed]


def probe_reports(result: model.Grade) -> List[Dict[str, Any]]:
    """Return the report of every run of a probe whose message parses.

    Each test is a run of its own: a note an earlier or concurrent run
    left shows in a later run's report, not in the first.
    """
    found = []
    for message in [check.message for check in result.checks
                    if not check.passed]:
        if PROBE_TAG in message:
            try:
                sent, _ = json.JSONDecoder().raw_decode(
                    message.split(PROBE_TAG, 1)[1])
            except ValueError:
                continue
            if isinstance(sent, dict):
                found.append(sent)
    return found


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
    later = [item for run in probe_reports(result.grade)
             for item in run.get("findings", [])]
    assert later == [], later


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


def holds_attack_made(path: Path) -> bool:
    """Tell whether a host entry holds something an attack names.

    An entry that cannot be looked into counts as holding it; one that
    vanished meanwhile (another program's, done) does not.
    """
    if os.path.basename(str(path)).startswith(ATTACK_MADE):
        return True
    if not path.is_dir() or path.is_symlink():
        return False
    refused: List[OSError] = []
    for _, folders, files in os.walk(str(path), onerror=refused.append):
        if any(name.startswith(ATTACK_MADE) for name in folders + files):
            return True
    return any(not isinstance(error, FileNotFoundError) for error in refused)


def made_by_another_user(path: str) -> bool:
    """Tell whether a host entry belongs to another user than this one.

    Everything a grading runs, the sandbox included, runs as this user.
    """
    try:
        return os.lstat(path).st_uid != os.getuid()
    except OSError:
        return True  # gone already: not a leftover


def leaked(before: List[str], after: List[str]) -> List[str]:
    """Return the entries new in the host's /tmp and /dev/shm after grading.

    The machine may be shared: another user's entry is left out, and so is
    another program's temporary entry (see OTHERS_TEMPORARY) when it holds
    nothing an attack makes.
    """
    return [path for path in sorted(set(after) - set(before))
            if not made_by_another_user(path) and (
                holds_attack_made(Path(path)) or not os.path.basename(
                    path).startswith(OTHERS_TEMPORARY))]


@pytest.mark.parametrize("name", NO_NEW_HOST_ENTRY)
def test_hostile_attack_adds_no_entry_to_host_tmp_or_shm(
        name: str, workspace: Path) -> None:
    """Not a single new name in the host's /tmp or /dev/shm, any prefix."""
    skip_without_sandbox(name)
    result = graded(name, workspace)
    assert result.crashed is None, result.crashed
    assert leaked(result.shared_before, result.shared_after) == []


def test_hostile_locked_scratch_meets_its_caps(workspace: Path) -> None:
    """The filler wrote up to a cap in every place, and no more."""
    skip_without_sandbox("locked-scratch")
    found = probe_report(graded("locked-scratch", workspace))
    assert found["findings"] == [], found
    assert len(found["notes"]) == 3 and all(
        int(note.split(":")[1].split("MB")[0]) > 0
        for note in found["notes"]), found


def kata_state() -> Dict[str, Any]:
    """Return what a planted link could change: the kata's files, the venv.

    The content of every file under kata/, tests/ and solution/ (and the
    top-level configuration), and the names, sizes and modification times
    of the venv's bin/ and the top level of its site-packages (a folder
    only by name: importing a package may add its __pycache__).
    """
    files: Dict[str, Any] = {}
    for folder in ("kata", "tests", "solution"):
        for path, value in fingerprint(REPO_ROOT / folder).items():
            files[folder + "/" + path] = value
    for name in ("pytest.ini", "checker.sh", "requirements.txt"):
        path = REPO_ROOT / name
        files[name] = hashlib.sha256(path.read_bytes()).hexdigest() \
            if path.is_file() else ""
    venv = Path(os.path.realpath(sys.prefix))
    listed: Dict[str, Any] = {}
    sites = {os.path.realpath(entry) for entry in sys.path
             if entry.endswith("site-packages")}
    for folder in [str(venv / "bin"), *sorted(sites)]:
        for entry in os.scandir(folder):
            info = entry.stat(follow_symlinks=False)
            listed[os.path.join(folder, entry.name)] = "folder" if \
                stat.S_ISDIR(info.st_mode) else (info.st_mode, info.st_size,
                                                 info.st_mtime_ns)
    return {"files": files, "venv": listed}


# Kata files the planted links point at, whose docstring line must not
# reach the attack's report (a judge reading its output through a link).
LINKED_SOURCES = ("solution/auth.py", "solution/user.py",
                  "kata/catalogue/steps.py", "kata/grading/grader.py",
                  "tests/conftest.py")


def docstring_line(relative: str) -> str:
    """Return the first line of a kata module's docstring, without quotes."""
    for line in (REPO_ROOT / relative).read_text().splitlines():
        if line.startswith('"""'):
            return line.strip('"').strip()
    return ""


def test_hostile_links_reach_no_kata_file(workspace: Path) -> None:
    """Links planted at every writable place: kata and venv unchanged.

    The attack is graded with a copy of the solution, in one grading and
    two parallel runs, on steps 0, 5 and 20: the solution still passes
    every task, the attack none, the kata's files and the venv are as they
    were, and the attack's report shows nothing of the files it linked.
    """
    if not ISOLATED:
        pytest.skip(NO_SANDBOX)
    attack = workspace / "plant-links-beside-the-solution"
    solution = workspace / "solution-beside-plant-links"
    shutil.copytree(str(HOSTILE / "plant-links"), str(attack))
    shutil.copytree(str(REPO_ROOT / "solution"), str(solution))
    before = kata_state()
    planted, reference = grader.grade_many(
        [attack, solution], [step(0), step(5), step(20)], jobs=2,
        timeout=3 * TIMEOUT)
    after = kata_state()
    changed = sorted(
        key for part in ("files", "venv")
        for key in set(before[part]) | set(after[part])
        if before[part].get(key) != after[part].get(key))
    assert changed == [], "changed by the grading: {}".format(changed[:10])
    assert [task.passed for task in reference.tasks] == [True] * 3, \
        report.to_text(reference)[-3000:]
    assert not any(task.passed for task in planted.tasks), \
        report.to_text(planted)[-3000:]
    runs = probe_reports(planted)
    assert runs and all(run["findings"] == [] for run in runs), runs
    shown = report.to_text(planted, show_output=True) + report.to_json(
        planted)
    for relative in LINKED_SOURCES:
        line = docstring_line(relative)
        assert line and line not in shown, "{} shows in the report".format(
            relative)
