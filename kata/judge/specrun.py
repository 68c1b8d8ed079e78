#!/usr/bin/env python3
"""Run one step's spec against a submission's subject, from a warm judge.

The checker imports the libraries and collects the specs once
(``preload``), then forks one child per step. The child is the judge: it
runs pytest on the step's spec, which drives the student's code in the
submission's sandboxed subject (``kata/sandbox/jail.py``) and never runs it
itself, and writes each test's verdict, as soon as it is known, as JSON lines
to a file without a name that the checker opened for it (no other process can
reach it by a path). A run that ends without its closing line (a crash, a
time-out) has failed, whatever its exit status. A judge runs under memory
and CPU-time limits of its own: a submission that makes its judge work
hard costs only its own step.

A run's time limit is CPU time: the judge's own (RLIMIT_CPU), and the
same number of seconds for the subject's requests that are stopped by
their CPU limits (kata.sandbox.remote.CPU_BUDGET_KEY). The wall clock only ends
a run at BACKSTOP_FACTOR times its limit, which a busy machine never
reaches: a run that gets there was waiting, not computing.
"""
import gc
import json
import os
import resource
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import (IO, Any, Callable, Dict, Hashable, List, Optional,
                    Sequence, Tuple)

import pytest

from kata.catalogue.steps import REPO_ROOT, STEPS, Step
from kata.judge import pytest_internals
from kata.sandbox import processes
from kata.sandbox.remote import (BACKSTOP_FACTOR, CPU_BUDGET_KEY, DEADLINE_KEY,
                                 ENVIRONMENT_KEY)

DEFAULT_TIMEOUT = 30.0
OUTPUT_SHOWN_BYTES = 2000
# Spec runs create and delete many small files (a.db above all); in memory
# that takes half the time it takes on disk.
SCRATCH_ROOT = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
# A judge's address space may grow this much past the warm checker's.
JUDGE_MEMORY_BYTES = 1024 ** 3


@dataclass
class SpecCheck:
    """The verdict of one test of a spec."""

    name: str
    passed: bool
    message: str = ""


@dataclass
class SpecResult:
    """What running one step's spec produced."""

    step: Step
    checks: List[SpecCheck] = field(default_factory=list)
    completed: bool = False
    problem: str = ""
    timed_out: bool = False
    seconds: float = 0.0
    output_tail: str = ""
    last_started: str = ""


def preload() -> None:
    """Import, once, what every spec run needs, so forks start warm."""
    import _hypothesis_pytestplugin  # noqa: F401
    import bcrypt  # noqa: F401
    import flask  # noqa: F401
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401
    import requests  # noqa: F401
    import sqlalchemy.ext.declarative  # noqa: F401
    import sqlalchemy.orm  # noqa: F401
    import werkzeug.serving  # noqa: F401

    pytest_internals.import_default_plugins()

    # Forked children share these objects; a full collection in a child
    # would touch, and so copy, every page of them.
    gc.freeze()


class _ResultWriter:
    """A pytest plugin that appends each test's verdict to a file."""

    def __init__(self, results: int) -> None:
        """Write to the open results file the parent will read."""
        self._file = open(results, "a", encoding="utf-8", closefd=False)
        self._verdicts: Dict[str, Dict[str, Any]] = {}

    def _write(self, record: Dict[str, Any]) -> None:
        """Append one JSON line and make sure it reaches the disk."""
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Record which test is running, for a report of a crash."""
        self._write({"started": nodeid.split("::", 1)[-1]})

    def pytest_runtest_logreport(self, report: Any) -> None:
        """Fold the setup, call and teardown reports of a test together."""
        verdict = self._verdicts.setdefault(
            report.nodeid, {"passed": True, "message": ""})
        if report.failed or (report.skipped and report.when == "call"):
            verdict["passed"] = False
            if not verdict["message"]:
                verdict["message"] = _message_of(report)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        """Write the test's verdict once all its phases are done."""
        verdict = self._verdicts.pop(nodeid, {"passed": False,
                                              "message": "did not run"})
        self._write({"test": nodeid.split("::", 1)[-1], **verdict})

    def pytest_collectreport(self, report: Any) -> None:
        """Report a spec that cannot even be collected."""
        if report.failed:
            self._write({"test": "collecting the spec", "passed": False,
                         "message": _message_of(report)})

    def close(self, exit_code: int) -> None:
        """Write the closing line that marks a complete run."""
        self._write({"done": True, "exit_code": exit_code})
        self._file.close()


def _message_of(report: Any) -> str:
    """Return the readable part of a failed pytest report."""
    for key, value in getattr(report, "user_properties", []):
        if key == "kata_message":
            return str(value)
    if report.skipped:
        return "skipped: {}".format(report.longrepr)
    text = str(report.longrepr)
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:500] if lines else "failed"


class _WarmSession:
    """A pytest session configured, and its specs collected, once.

    Every spec run is a fork of it that only runs the tests of one step: a
    run then costs its tests, not pytest's start-up and collection.
    """

    def __init__(self, steps: Sequence[Step], extra: Sequence[str]) -> None:
        """Configure pytest and collect the specs of steps."""
        # The one plugin the specs need is named below: scanning every
        # installed package for pytest plugins costs more than a spec run.
        # It is set only while pytest configures itself, so that programs
        # this process starts later (a selftest's pytest) load plugins.
        autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        specs = sorted({str(step.spec) for step in steps})
        # --no-style: the grading checks files and style itself (the same
        # checks: kata/judge/pytest_style.py), so the judges run the tests
        # alone.
        try:
            self.config = pytest_internals.configured(
                [*specs, "--impl", str(REPO_ROOT / "solution"), "--no-style",
                 "--capture=no", "-p", "no:terminal", "-p",
                 "no:cacheprovider", "-p", "no:faulthandler", "-p",
                 "_hypothesis_pytestplugin",
                 "-W", "ignore::pytest.PytestAssertRewriteWarning",
                 "--rootdir", str(REPO_ROOT), "-c",
                 str(REPO_ROOT / "pytest.ini"), *extra])
        finally:
            if autoload is None:
                del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
            else:
                os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload
        self.session = pytest.Session.from_config(self.config)
        self.config.hook.pytest_sessionstart(session=self.session)
        self.config.hook.pytest_collection(session=self.session)
        self.items: Dict[str, List[Any]] = {}
        for item in self.session.items:
            self.items.setdefault(str(item.path), []).append(item)
        self.steps = {str(step.spec) for step in steps}

    def covers(self, steps: Sequence[Step]) -> bool:
        """Tell whether this session collected the specs of steps."""
        return {str(step.spec) for step in steps} <= self.steps

    def run(self, step: Step, submission: Path, scratch: Path,
            results: int) -> int:
        """Run one step's tests against submission; this is the child."""
        writer = _ResultWriter(results)
        config = self.config
        config.option.impl = str(submission)
        pytest_internals.use_basetemp(config, scratch / "tmp")
        config.pluginmanager.register(writer, "kata-results")
        items = self.items.get(str(step.spec), [])
        if not items:
            writer.pytest_collectreport(_CollectFailure(
                "the spec {} has no tests".format(step.spec.name)))
        pytest_internals.run_items(self.session, items)
        writer.close(0)
        return 0


@dataclass
class _CollectFailure:
    """Stands for a failed collection report, for the results file."""

    longrepr: str
    failed: bool = True
    skipped: bool = False


_warm_sessions: Dict[Tuple[str, ...], _WarmSession] = {}


def warm_session(steps: Sequence[Step], extra: Sequence[str]) -> _WarmSession:
    """Return a warm session for steps and extra pytest arguments."""
    key = tuple(extra)
    session = _warm_sessions.get(key)
    if session is None or not session.covers(steps):
        wanted = list(steps) + ([] if session is None else [
            step for step in STEPS if str(step.spec) in session.steps])
        session = _WarmSession(wanted, extra)
        _warm_sessions[key] = session
    return session


def _pytest_body(session: _WarmSession, step: Step, submission: Path,
                 scratch: Path, results: int, subject: str,
                 deadline: float, limit: float) -> int:
    """Run the step's spec from the warm session; this is the child."""
    judge_limits(limit)
    os.chdir(str(scratch))
    os.environ[ENVIRONMENT_KEY] = subject
    os.environ[DEADLINE_KEY] = repr(deadline)
    os.environ[CPU_BUDGET_KEY] = repr(limit)
    return session.run(step, submission, scratch, results)


def judge_limits(seconds: float) -> None:
    """Cap the calling judge's CPU time and the growth of its memory.

    A judge waiting for the subject spends no CPU time, so the run's time
    limit in CPU seconds is far more than an honest run needs.
    """
    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return
    memory = pages * resource.getpagesize() + JUDGE_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


@dataclass(frozen=True)
class SpecJob:
    """One spec to run: a step's spec against one submission's subject.

    subject returns the link to the submission's running subject (see
    ``kata.sandbox.remote.SubjectLink``), starting it on first use.
    """

    key: Hashable
    step: Step
    submission: Path
    subject: Callable[[], str]


@dataclass
class _Pending:
    """A spec run under way, with its judge's results and output files."""

    job: SpecJob
    run: processes.Run
    deadline: float
    folder: Path
    results: IO[bytes]
    output: IO[bytes]
    limit: float = DEFAULT_TIMEOUT


def run_specs(jobs: Sequence[SpecJob], parallel: int,
              timeout: Optional[float] = None, extra: Sequence[str] = (),
              on_done: Optional[Callable[[SpecJob, SpecResult],
                                         Sequence[SpecJob]]] = None,
              meanwhile: Optional[Callable[[], None]] = None,
              ) -> Dict[Hashable, SpecResult]:
    """Run specs, at most parallel at a time.

    Return the result of every job by its key. on_done(job, result) is
    called as each job finishes; the jobs it returns run next. meanwhile()
    is called once, as soon as the first runs are started: work of this
    process's own that need not wait for them.
    """
    processes.become_subreaper()
    if jobs:
        warm_session([job.step for job in jobs], extra)
    work = Path(tempfile.mkdtemp(prefix="kata-specs-", dir=SCRATCH_ROOT))
    queue = list(enumerate(jobs))
    numbers = len(queue)
    pending: List[_Pending] = []
    results: Dict[Hashable, SpecResult] = {}
    try:
        while queue or pending:
            while queue and len(pending) < max(1, parallel):
                index, job = queue.pop(0)
                pending.append(_launch(job, work / str(index), timeout,
                                       extra))
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            finished = _first_finished(pending)
            if finished is None:
                processes.wait_for_any(
                    [entry.run for entry in pending],
                    min(entry.deadline for entry in pending))
                continue
            entry, outcome = finished
            pending.remove(entry)
            result = _read_result(entry, outcome)
            results[entry.job.key] = result
            entry.results.close()
            entry.output.close()
            shutil.rmtree(str(entry.folder), ignore_errors=True)
            processes.reap_orphans([item.run.waiter for item in pending])
            if on_done is not None:
                more = list(on_done(entry.job, result) or ())
                queue[:0] = list(enumerate(more, numbers))
                numbers += len(more)
    finally:
        for entry in pending:
            processes.stop(entry.run)
            entry.results.close()
            entry.output.close()
        shutil.rmtree(str(work), ignore_errors=True)
    return results


def time_limit(step: Step, timeout: Optional[float]) -> float:
    """Return the time limit of a step (the end-to-end step gets twice)."""
    base = DEFAULT_TIMEOUT if timeout is None else timeout
    return base * 2 if step.end_to_end else base


def _launch(job: SpecJob, folder: Path, timeout: Optional[float],
            extra: Sequence[str]) -> _Pending:
    """Start the judge of one job in a child of its own."""
    scratch = folder / "scratch"
    scratch.mkdir(parents=True)
    limit = time_limit(job.step, timeout)
    session = warm_session([job.step], extra)
    subject = job.subject()
    deadline = time.monotonic() + BACKSTOP_FACTOR * limit
    # Files without a name: only this process and its judge hold them.
    results = tempfile.TemporaryFile(dir=SCRATCH_ROOT)
    output = tempfile.TemporaryFile(dir=SCRATCH_ROOT)
    run = processes.start(
        lambda: _pytest_body(session, job.step, job.submission, scratch,
                             results.fileno(), subject, deadline, limit),
        output.fileno())
    return _Pending(job, run, deadline, folder, results, output, limit)


def _first_finished(pending: List[_Pending]) -> Optional[Any]:
    """Return (entry, outcome) for a run that ended or ran out of time."""
    for entry in pending:
        try:
            done, status = os.waitpid(entry.run.waiter, os.WNOHANG)
        except ChildProcessError:
            done, status = entry.run.waiter, 0
        if done:
            processes.kill_tree(entry.run.root)
            return entry, processes.outcome_of(
                status, time.monotonic() - entry.run.started)
        if time.monotonic() >= entry.deadline:
            return entry, processes.wait(entry.run, entry.deadline)
    return None


def _read_result(entry: _Pending, outcome: processes.Outcome) -> SpecResult:
    """Turn the results file and the outcome of a run into a SpecResult."""
    result = SpecResult(entry.job.step, timed_out=outcome.timed_out,
                        seconds=outcome.seconds)
    last_started = ""
    entry.results.seek(0)
    lines = entry.results.read().decode("utf-8", "replace").splitlines()
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "started" in record:
            last_started = str(record["started"])
        elif "test" in record:
            result.checks.append(SpecCheck(str(record["test"]),
                                           bool(record["passed"]),
                                           str(record.get("message", ""))))
        elif record.get("done"):
            result.completed = True
            if record.get("exit_code") not in (0, 1) and not result.checks:
                result.problem = "the spec did not run (pytest exit " \
                    "status {})".format(record.get("exit_code"))
    result.timed_out = result.timed_out or any(
        check.message.startswith("timed out") for check in result.checks) \
        or (not result.completed and outcome.signal == signal.SIGXCPU)
    result.output_tail = _tail(entry.output)
    result.last_started = last_started
    if not result.completed:
        result.problem = _why_incomplete(outcome, last_started, entry.limit)
    return result


def _why_incomplete(outcome: processes.Outcome, last_started: str,
                    limit: float = DEFAULT_TIMEOUT) -> str:
    """Explain, in a sentence, why a run did not report all its results."""
    during = " during {}".format(last_started) if last_started else ""
    if outcome.timed_out:
        return ("timed out: the run did not end within {:.0f} s (the "
                "wall-clock backstop of its {:.0f} CPU seconds){}: the "
                "submission was waiting, not computing (a server started at "
                "import, or a wait for input or a lock?)".format(
                    outcome.seconds, limit, during))
    if outcome.signal == signal.SIGXCPU:
        return ("timed out: the run used its {:.0f} CPU seconds{} (the "
                "judge's own time: the spec's work on the submission's "
                "answers)".format(limit, during))
    if outcome.signal is not None:
        return "the run was killed by signal {}{}".format(
            outcome.signal, during)
    return ("the run ended{} before reporting its results (exit status "
            "{}): does the submission call sys.exit() or os._exit()?"
            .format(during, outcome.exit_code))


def _tail(output: IO[bytes]) -> str:
    """Return the end of a run's output, cut to a readable size."""
    size = os.fstat(output.fileno()).st_size
    output.seek(max(0, size - OUTPUT_SHOWN_BYTES))
    text = output.read().decode("utf-8", errors="replace")
    if size > OUTPUT_SHOWN_BYTES:
        text = "[{} bytes of output cut]\n".format(
            size - OUTPUT_SHOWN_BYTES) + text
    return text
