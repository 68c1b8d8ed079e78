#!/usr/bin/env python3
"""A verdict does not depend on the machine's load (issue 16, item 7).

Every limit of a grading is CPU time of the process doing the work; the
wall clock is only a far backstop. Graded while CPU burners keep every core
busy, the reference, a mutant and a correct submission whose import is slow
get the verdicts of a quiet machine. An endless loop is stopped at its CPU
limit with the student's line it was on; an import is remembered as hanging
only when it used up its CPU seconds or waited out the whole backstop.
"""
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from kata.catalogue import overlays
from kata.catalogue.steps import REPO_ROOT, SOLUTION_DIR, SPECS_DIR, step
from kata.grading import grader
from kata.reports import report
from kata.sandbox import jail, remote
from kata.sandbox.remote import Connection, Workdir
from kata.sandbox.subject import wire

sys.path.insert(0, str(SPECS_DIR))
import spec_support  # noqa: E402

# Steps whose specs are short yet import every module: user.py and db.py
# (step 1), auth.py (step 9, three tests, each a fresh import).
GRADED_STEPS = (1, 9)
MUTANT = "09-same-value-twice"
# CPU seconds the slow submission's auth.py spends at import: with the
# burners, more than the 10 s of wall-clock time that once were its limit.
SLOW_IMPORT_SECONDS = 5.0
SLOW_IMPORT = '''
# Honest but slow: CPU work at import, before anything is defined.
_STARTED = time.process_time()
while time.process_time() - _STARTED < {seconds}:
    pass
'''.format(seconds=SLOW_IMPORT_SECONDS)
BURNER = "while True:\n    pass\n"
Verdicts = List[Tuple[Any, ...]]

ISOLATED = jail.bwrap_works()


@contextlib.contextmanager
def burners(count: int) -> Iterator[List[subprocess.Popen]]:
    """Keep count processes spinning on the CPU; kill them, by pid, after."""
    started: List[subprocess.Popen] = []
    try:
        for _ in range(count):
            # A session of its own: where the scheduler shares the CPU
            # between sessions (autogroups), each burner takes a share,
            # as the jobs of other users would.
            started.append(subprocess.Popen([sys.executable, "-c", BURNER],
                                            start_new_session=True))
        yield started
    finally:
        for process in started:
            process.kill()
        for process in started:
            process.wait()


def slow_import_submission(folder: Path) -> Path:
    """Write solution/ with an auth.py that computes for seconds at import."""
    folder.mkdir(parents=True)
    for path in SOLUTION_DIR.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
            (folder / path.name).chmod(path.stat().st_mode)
    auth = folder / "auth.py"
    text = auth.read_text()
    text = text.replace("import uuid\n", "import time\nimport uuid\n", 1)
    marker = "\n\ndef _hash_password("
    assert marker in text
    auth.write_text(text.replace(marker, SLOW_IMPORT + marker, 1))
    return folder


def graded_report(folder: Path) -> Dict[str, Any]:
    """Grade GRADED_STEPS of folder with the command line; return its JSON."""
    command = [sys.executable, "-m", "kata", str(folder), "--json"]
    for number in GRADED_STEPS:
        command += ["--step", str(number)]
    finished = subprocess.run(
        command, cwd=str(REPO_ROOT), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    assert finished.stdout.strip(), finished.stderr[-2000:]
    return json.loads(finished.stdout)


def verdicts(data: Dict[str, Any]) -> Verdicts:
    """Return what decides a grade: each task's and each check's verdict."""
    return [(task["task"], task["passed"], task["integrated_passed"],
             task["timed_out"],
             tuple((check["kind"], check["name"], check["passed"])
                   for check in task["checks"]))
            for task in data["tasks"]]


def test_verdicts_under_load_are_those_of_a_quiet_machine(
        tmp_path: Path) -> None:
    """Reference, a mutant and a slow import: the same verdicts when busy."""
    mutant = {overlay.name: overlay for overlay in overlays.load("mutants")}
    folders = {
        "solution": SOLUTION_DIR,
        "mutant": mutant[MUTANT].apply(tmp_path / "mutant"),
        "slow import": slow_import_submission(tmp_path / "slow"),
    }
    quiet = {name: graded_report(folder) for name, folder in folders.items()}
    assert [task["passed"] for task in quiet["solution"]["tasks"]] == \
        [True, True]
    assert [task["passed"] for task in quiet["mutant"]["tasks"]] == \
        [True, False]
    assert [task["passed"] for task in quiet["slow import"]["tasks"]] == \
        [True, True], quiet["slow import"]
    with burners(2 * (os.cpu_count() or 1)):
        loaded = {name: graded_report(folder)
                  for name, folder in folders.items()}
        load = os.getloadavg()[0]
    for name in folders:
        assert verdicts(loaded[name]) == verdicts(quiet[name]), (
            name, loaded[name])
    if load > (os.cpu_count() or 1):
        assert "graded_under_load" in loaded["slow import"]


def loop_in_generate_uuid(folder: Path) -> int:
    """Make _generate_uuid loop forever; return the line of the loop."""
    (folder / "auth.py").write_text((SOLUTION_DIR / "auth.py").read_text()
                                    .replace("    return str(uuid.uuid4())",
                                             "    while True:\n"
                                             "        pass", 1))
    lines = (folder / "auth.py").read_text().splitlines()
    return lines.index("    while True:") + 1


def test_endless_loop_names_its_line_and_the_real_limit(
        tmp_path: Path) -> None:
    """The message names auth.py's line in _generate_uuid and 3 CPU s."""
    folder = overlays.Overlay("loop", "", ()).apply(tmp_path / "loop")
    line = loop_in_generate_uuid(folder)
    grade = grader.grade(folder, [step(9)], jobs=2, timeout=3.0)
    messages = [check.message for check in grade.checks
                if check.kind == "spec" and not check.passed]
    # The loop's frame is on its while line or on its body's.
    expected = ["timed out: the call of _generate_uuid did not finish "
                "within 3 CPU seconds; it was running auth.py:{} in "
                "_generate_uuid".format(number) for number in (line, line + 1)]
    assert any(message.startswith(tuple(expected)) for message in messages), \
        messages
    assert grade.tasks[0].timed_out
    assert not any("within 0 s" in message for message in messages)


def test_a_busy_machine_is_said_once_in_each_report(tmp_path: Path) -> None:
    """One line of the text report and one JSON key, only when busy."""
    grade = grader.grade(SOLUTION_DIR, [step(0)], jobs=1)
    cores = float(os.cpu_count() or 1)
    grade.load = {"start": 0.1, "end": cores, "cores": cores}
    assert "busy" not in report.to_text(grade)
    assert "graded_under_load" not in grade.to_dict()
    grade.load = {"start": 3 * cores, "end": 2 * cores, "cores": cores}
    text = report.to_text(grade)
    assert text.splitlines()[1].startswith(
        "Graded while the machine was busy"), text
    assert "CPU time" in text.splitlines()[1]
    assert text.splitlines()[-1].startswith("Score:"), text
    assert grade.to_dict()["graded_under_load"] == grade.load


@pytest.fixture
def submission_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Give a maker of Submissions of a one-file submission, in a jail.

    An import's limit here is half a CPU second, its backstop 5 s.
    """
    monkeypatch.setattr(spec_support, "IMPORT_SECONDS", 0.5)
    monkeypatch.delenv(remote.DEADLINE_KEY, raising=False)
    monkeypatch.delenv(remote.CPU_BUDGET_KEY, raising=False)
    made: List[Any] = []

    def make(user_py: str) -> Any:
        """Start a jail on a submission of user_py; return a maker."""
        folder = tmp_path / "submission{}".format(len(made))
        folder.mkdir()
        (folder / "user.py").write_text(user_py)
        running = jail.Jail(folder, tmp_path / "jail{}".format(len(made)),
                            isolate=ISOLATED)
        made.append(running)
        link = running.link()

        def fresh() -> spec_support.Submission:
            """Return a Submission on a fresh child of the jail."""
            connection = link.spawn(True)
            made.append(connection)
            return spec_support.Submission(connection, folder,
                                           connection.workdir, link.judge)
        fresh.judge = link.judge  # type: ignore[attr-defined]
        return fresh

    yield make
    for item in reversed(made):
        if isinstance(item, Connection):
            item.release()
        else:
            item.close()


def hangs(judge: Path) -> List[Path]:
    """Return the remembered hangs of a judge's folder."""
    return sorted(judge.glob("*.hangs"))


def test_a_sleeping_import_within_the_backstop_is_not_a_hang(
        submission_of: Any) -> None:
    """Asleep 1.5 s at import, far past its CPU limit in wall time: fine."""
    fresh = submission_of("import time\ntime.sleep(1.5)\nANSWER = 42\n")
    assert fresh().module("user").ANSWER == 42
    assert hangs(fresh.judge) == []


def test_an_import_asleep_until_the_backstop_is_remembered(
        submission_of: Any) -> None:
    """Waiting out the whole backstop is a proof; the message says where."""
    fresh = submission_of("import time\n\ntime.sleep(1000)\n")
    with pytest.raises(remote.SubjectBroke):
        fresh().module("user")
    found = hangs(fresh.judge)
    assert len(found) == 1
    text = found[0].read_text()
    assert "waiting" in text and "not computing" in text, text
    assert "it was waiting at user.py:3 in <module>" in text, text
    with pytest.raises(pytest.fail.Exception) as remembered:
        fresh().module("user")
    assert str(remembered.value.msg) == text


def test_an_import_cut_short_by_the_runs_end_is_not_remembered(
        submission_of: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped because the run's deadline came: no proof of a hang."""
    fresh = submission_of("import time\ntime.sleep(1000)\n")
    child = fresh()
    monkeypatch.setenv(remote.DEADLINE_KEY, repr(
        time.monotonic() + remote.DEADLINE_MARGIN + 1.0))
    with pytest.raises(remote.SubjectBroke) as stopped:
        child.module("user")
    assert str(stopped.value).startswith("timed out: importing user.py")
    assert hangs(fresh.judge) == []


def test_an_import_that_burns_its_cpu_seconds_is_remembered(
        submission_of: Any) -> None:
    """An endless loop at import: stopped by CPU time, with its line."""
    fresh = submission_of("X = 0\nwhile True:\n    X += 1\n")
    with pytest.raises(remote.SubjectBroke) as stopped:
        fresh().module("user")
    # The loop's test and its body are lines 2 and 3; the sample that
    # stops it may land on either.
    assert re.match(
        r"timed out: importing user\.py did not finish within 0\.5 CPU "
        r"seconds; it was running user\.py:[23] in <module>",
        str(stopped.value)), stopped.value
    assert len(hangs(fresh.judge)) == 1


def test_where_reads_only_the_students_lines_bounded(tmp_path: Path) -> None:
    """Library and kata frames are left out; a forged name is defused."""
    ours, theirs = wire.pair()
    lifeline, other = wire.pair()
    connection = Connection(wire.Channel(ours), lifeline)
    connection.workdir = Workdir(os.open(str(tmp_path), os.O_RDONLY))
    try:
        assert connection.where("running") is None
        (tmp_path / wire.WHERE_FILE).write_text(
            'Thread 0x1 (most recent call first):\n'
            '  File "/submission/db.py", line 7 in other_thread\n\n'
            'Current thread 0x2 (most recent call first):\n'
            '  File "/usr/lib/python3/re.py", line 5 in match\n'
            '  File "/opt/kata/subject/serve.py", line 9 in op_call\n'
            '  File "/submission/sub/x.py", line 3 in nested\n'
            '  File "/submission/auth.py", line 42 in va\x1b[2Jlid\n'
            '  File "/submission/auth.py", line 12 in outer\n'
            '  File "/submission/app.py", line 1 in <module>\n'
            + "x" * (2 * remote.WHERE_LIMIT))
        assert connection.where("running") == (
            "; it was running auth.py:42 in va??2Jlid, called from "
            "auth.py:12 in outer")
        (tmp_path / wire.WHERE_FILE).write_text(
            'Current thread 0x2 (most recent call first):\n'
            '  File "/usr/lib/python3/re.py", line 5 in match\n')
        assert connection.where("running") == ""
    finally:
        connection.release()
        theirs.close()
        other.close()
