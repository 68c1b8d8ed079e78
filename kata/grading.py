#!/usr/bin/env python3
"""Grade a submission task by task: its files, its style, its specs.

A task passes when every one of its checks passes. Checks come in three
kinds, kept apart in every report: ``files`` (the task's files are there),
``style`` (rules G1-G10 on those files) and ``spec`` (the step's spec).
"""
import errno
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from kata import jail, manifest, specrun, style
from kata.steps import REPO_ROOT, STEPS, SUBMISSION_FILES, Step

MAX_FILE_BYTES = 1024 * 1024
# Which rules apply to which files; G7 concerns the Flask app only.
PYTHON_RULES = ("G1", "G2", "G3", "G4", "G5", "G6", "G8", "G10")
APP_RULES = PYTHON_RULES[:6] + ("G7",) + PYTHON_RULES[6:]
# Characters a report must not carry as they are: control characters
# (terminal escapes could rewrite an instructor's screen; a carriage return
# or a tab could fake a line), bidirectional marks and overrides (they
# reorder what is shown), line and paragraph separators, lone surrogates
# (not UTF-8) and the non-characters XML forbids. A newline is kept: an
# output tail is shown line by line; one_line() escapes it too.
UNPRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                         "\u2028\u2029\u202a-\u202e\u2066-\u2069"
                         "\ud800-\udfff\ufffe\uffff]")
NAMED_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}


def _escape(match: "re.Match[str]") -> str:
    """Spell one unprintable character out, e.g. as \\r or \\u202e."""
    character = match.group()
    code = ord(character)
    if character in NAMED_ESCAPES:
        return NAMED_ESCAPES[character]
    if 0xD800 <= code <= 0xDFFF or code >= 0xFFFE:
        return "\ufffd"
    if code < 0x100:
        return "\\x{:02x}".format(code)
    return "\\u{:04x}".format(code)


def printable(text: str) -> str:
    """Return text safe for a terminal, JSON and XML, escapes made visible.

    Newlines are kept; every other control character, and every
    bidirectional mark, is replaced by its escape.
    """
    return UNPRINTABLE.sub(_escape, text)


def one_line(text: str) -> str:
    """Return printable text on one line, its newlines escaped as well."""
    return printable(text).replace("\n", "\\n")


@dataclass
class Check:
    """One graded check of a task."""

    name: str
    kind: str
    passed: bool
    message: str = ""

    def __post_init__(self) -> None:
        """Keep what student code put in the name and message printable."""
        self.name = printable(self.name)
        self.message = printable(self.message)


@dataclass
class TaskResult:
    """The checks of one task and its verdicts."""

    step: Step
    checks: List[Check] = field(default_factory=list)
    timed_out: bool = False
    seconds: float = 0.0
    output_tail: str = ""

    @property
    def passed(self) -> bool:
        """Tell whether every check of the task passed."""
        return all(check.passed for check in self.checks)

    def kind_passed(self, kind: str) -> bool:
        """Tell whether every check of one kind passed."""
        return all(check.passed for check in self.checks
                   if check.kind == kind)


@dataclass
class Grade:
    """The grade of one submission."""

    submission: str
    tasks: List[TaskResult]
    isolation: str
    # How the grading tree differs from the shipped one, by path: see
    # kata.manifest.tampering.
    tampering: Dict[str, str] = field(default_factory=dict)
    ignored: List[str] = field(default_factory=list)

    @property
    def specs_modified(self) -> bool:
        """Tell whether the specs (tests/, pytest.ini) were modified."""
        return any(path.startswith("tests/") or path == "pytest.ini"
                   for path in self.tampering)

    @property
    def checks(self) -> List[Check]:
        """Return every check of every task."""
        return [check for task in self.tasks for check in task.checks]

    @property
    def score(self) -> float:
        """Return the percentage of task points earned."""
        total = sum(task.step.points for task in self.tasks)
        earned = sum(task.step.points for task in self.tasks if task.passed)
        return round(100.0 * earned / total, 1) if total else 0.0

    @property
    def passed(self) -> bool:
        """Tell whether every graded task passed."""
        return all(task.passed for task in self.tasks)


def snapshot(submission: Path, destination: Path) -> Dict[str, str]:
    """Copy the submission's own files into destination.

    Only the files of the exercise are copied (junk such as a.db, caches or
    a virtualenv is left alone), and only regular files: a symbolic link is
    not followed, a FIFO, a device or a folder is not opened, nor is more
    than MAX_FILE_BYTES read. Return why each refused file was refused, by
    name; a missing file is not refused, just absent from the copy.
    """
    destination.mkdir(parents=True, exist_ok=True)
    refused = {}
    for name in SUBMISSION_FILES:
        reason = _copy_regular_file(submission / name, destination / name,
                                    name)
        if reason is not None:
            refused[name] = reason
    return refused


def _copy_regular_file(source: Path, target: Path,
                       name: str) -> Optional[str]:
    """Copy one regular file, mode bits but set-id bits included.

    Return None when the file was copied or does not exist, else the
    reason it was refused.
    """
    try:
        info = os.lstat(str(source))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        return _unreadable(name, error)
    if stat.S_ISLNK(info.st_mode):
        return _symbolic_link(name)
    if not stat.S_ISREG(info.st_mode):
        return "{} is not a regular file".format(name)
    try:
        descriptor = os.open(str(source),
                             os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return _symbolic_link(name)
        return _unreadable(name, error)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return "{} is not a regular file".format(name)
        data = _read_at_most(descriptor, MAX_FILE_BYTES + 1)
    except OSError as error:
        return _unreadable(name, error)
    finally:
        os.close(descriptor)
    if len(data) > MAX_FILE_BYTES:
        return "{} is larger than {} bytes; it was not graded".format(
            name, MAX_FILE_BYTES)
    # The permission bits are kept (G3 checks the executable bit), the
    # set-uid, set-gid and sticky bits never; the owner may always read
    # the copy, which the confined runs must.
    mode = (stat.S_IMODE(info.st_mode) & 0o777) | stat.S_IRUSR
    output = os.open(str(target), os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | os.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(output, view):]
        os.fchmod(output, mode)
    finally:
        os.close(output)
    os.utime(str(target), ns=(info.st_atime_ns, info.st_mtime_ns))
    return None


def _read_at_most(descriptor: int, limit: int) -> bytes:
    """Read from descriptor until its end or until limit bytes were read."""
    chunks = []
    left = limit
    while left > 0:
        chunk = os.read(descriptor, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _symbolic_link(name: str) -> str:
    """Say that a submitted file is a symbolic link."""
    return "{} is a symbolic link; submit the file itself".format(name)


def _unreadable(name: str, error: OSError) -> str:
    """Say why a submitted file cannot be read."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return "{} cannot be read (permission denied)".format(name)
    return "{} cannot be read ({})".format(
        name, os.strerror(error.errno) if error.errno else error)


def specs_modified(repo: Path = REPO_ROOT) -> Dict[str, str]:
    """Return how the grading tree and libraries differ from the shipped.

    The result maps a path to "changed", "missing" or "extra" (see
    kata.manifest); it is empty when nothing grading depends on changed.
    """
    return manifest.tampering(repo)


def file_checks(step: Step, copy: Path,
                refused: Mapping[str, str]) -> List[Check]:
    """Return a check per file of the step that snapshot may refuse.

    A Python file must be there; any file of the step snapshot refused
    (README.md included) fails with the reason it was refused.
    """
    checks = []
    for name in step.files:
        if name in refused:
            checks.append(Check(name + " is present", "files", False,
                                refused[name]))
        elif not name.endswith(".py"):
            continue
        elif (copy / name).is_file():
            checks.append(Check(name + " is present", "files", True))
        else:
            checks.append(Check(name + " is present", "files", False,
                                "{} is missing from the submission".format(
                                    name)))
    return checks


def style_checks(step: Step, copy: Path,
                 problems: Dict[str, List[style.StyleProblem]],
                 ) -> List[Check]:
    """Return a check per rule per file of the step."""
    checks = []
    for name in step.files:
        if name == "README.md":
            found = problems.get(name, [])
            checks.append(_rule_check(name, "G9", found))
            continue
        if not (copy / name).is_file():
            continue
        rules = APP_RULES if name == "app.py" else PYTHON_RULES
        for rule in rules:
            found = [problem for problem in problems.get(name, [])
                     if problem.rule == rule]
            checks.append(_rule_check(name, rule, found))
    return checks


def _rule_check(name: str, rule: str,
                found: List[style.StyleProblem]) -> Check:
    """Summarise the problems one rule found in one file as a check."""
    title = "{} {}: {}".format(name, rule, style.RULES[rule])
    shown = "; ".join(problem.message for problem in found[:5])
    if len(found) > 5:
        shown += "; and {} more".format(len(found) - 5)
    return Check(title, "style", not found, shown)


def spec_checks(result: Optional[specrun.SpecResult]) -> List[Check]:
    """Return a check per test of the step's spec, plus any run problem."""
    if result is None:
        return [Check("spec run", "spec", False, "the spec was not run")]
    checks = [Check(item.name, "spec", item.passed, item.message)
              for item in result.checks]
    if result.problem or not checks:
        checks.append(Check("spec run", "spec", False,
                            result.problem or "the spec ran no test"))
    return checks


def grade(submission: Path, steps: Sequence[Step] = STEPS, jobs: int = 2,
          isolate: bool = True, timeout: Optional[float] = None,
          pytest_args: Sequence[str] = (), min_doc_words: int = 2) -> Grade:
    """Grade the given steps of a submission folder, never writing to it."""
    return grade_many([submission], steps, jobs, isolate, timeout,
                      pytest_args, min_doc_words=min_doc_words)[0]


def grade_many(submissions: Sequence[Path], steps: Sequence[Step] = STEPS,
               jobs: int = 2, isolate: bool = True,
               timeout: Optional[float] = None,
               pytest_args: Sequence[str] = (),
               on_graded: Optional[Callable[[int], None]] = None,
               min_doc_words: int = 2) -> List[Grade]:
    """Grade several submissions, their tasks sharing jobs parallel runs.

    Each submission's code runs in a jail of its own, started when its
    first task is and ended after its last. on_graded(index) is called as
    soon as submission index is fully graded.
    """
    work = Path(tempfile.mkdtemp(prefix="kata-grade-",
                                 dir=specrun.SCRATCH_ROOT))
    jails: Dict[int, jail.Jail] = {}
    confinement: Dict[int, str] = {}
    try:
        copies = [work / str(index) / "submission"
                  for index in range(len(submissions))]
        too_large = [snapshot(submission, copy)
                     for submission, copy in zip(submissions, copies)]
        # Style is checked by this process while the spec runs use the
        # cores: one submission's worth each time a run ends.
        problems: List[Optional[Dict[str, List[style.StyleProblem]]]] = [
            None] * len(copies)

        def check_style() -> None:
            """Check the style of the next submission not yet checked."""
            if None in problems:
                index = problems.index(None)
                problems[index] = _style_problems(copies[index], steps,
                                                  min_doc_words)

        def subject(index: int) -> Callable[[], str]:
            """Return the starter of submission index's jail."""
            def link() -> str:
                """Start the jail on first use; return its link."""
                if index not in jails:
                    jails[index] = jail.Jail(copies[index],
                                             work / str(index), isolate)
                    confinement[index] = describe_confinement(jails[index])
                return jails[index].link().to_environment()
            return link

        specrun.preload()
        # Longest first within a submission: the end-to-end run must not be
        # the one left running alone at the end.
        by_cost = sorted(steps, key=lambda step: -expected_cost(step))
        spec_jobs = [specrun.SpecJob((index, step.number), step, copy,
                                     subject(index))
                     for index, copy in enumerate(copies) for step in by_cost]
        remaining = {index: 0 for index in range(len(copies))}
        for job in spec_jobs:
            remaining[job.key[0]] += 1

        def done(job: specrun.SpecJob) -> None:
            """Count a finished run; end a fully graded submission's jail."""
            check_style()
            index = job.key[0]
            remaining[index] -= 1
            if remaining[index] == 0:
                if index in jails:
                    jails.pop(index).close()
                if on_graded is not None:
                    on_graded(index)

        for index, count in remaining.items():
            if count == 0 and on_graded is not None:
                on_graded(index)
        results = specrun.run_specs(spec_jobs, jobs, timeout, pytest_args,
                                    done)
        while None in problems:
            check_style()
        modified = specs_modified()
        return [Grade(str(submission),
                      [_task(step, copies[index], too_large[index],
                             problems[index] or {},
                             results.get((index, step.number)))
                       for step in steps],
                      confinement.get(index, describe_confinement(None)),
                      modified)
                for index, submission in enumerate(submissions)]
    finally:
        for running in jails.values():
            running.close()
        shutil.rmtree(str(work), ignore_errors=True)


def spec_results(folder: Path, steps: Sequence[Step], jobs: int = 2,
                 isolate: bool = True, timeout: Optional[float] = None,
                 pytest_args: Sequence[str] = (),
                 ) -> Dict[int, specrun.SpecResult]:
    """Run the specs of steps on a folder's code in one jail, by step number.

    No copy, no style: what the kata's own tests need to judge the specs.
    """
    specrun.preload()
    work = Path(tempfile.mkdtemp(prefix="kata-specs-",
                                 dir=specrun.SCRATCH_ROOT))
    running = jail.Jail(folder, work, isolate)
    try:
        subject = running.link().to_environment()
        spec_jobs = [specrun.SpecJob(step.number, step, folder,
                                     lambda: subject) for step in steps]
        return specrun.run_specs(spec_jobs, jobs, timeout, pytest_args)
    finally:
        running.close()
        shutil.rmtree(str(work), ignore_errors=True)


def describe_confinement(running: Optional[jail.Jail]) -> str:
    """Say in words how a submission's code was confined."""
    if running is None:
        return "no code of the submission was run"
    if not running.isolated:
        return ("UNISOLATED: the submission's code ran unconfined "
                "(bubblewrap is not available or isolation was turned off)")
    text = ("sandboxed: bubblewrap with new user, PID, network, mount, IPC "
            "and UTS namespaces, no capabilities, seccomp, read-only "
            "runtime and submission")
    if running.missing:
        text += "; missing here: {}".format(", ".join(running.missing))
    return text


def expected_cost(step: Step) -> int:
    """Rank how long a step's spec runs: end-to-end, properties, others."""
    if "main.py" in step.files:
        return 3
    return 2 if "@given" in step.spec.read_text() else 1


def _style_problems(copy: Path, steps: Sequence[Step], min_doc_words: int,
                    ) -> Dict[str, List[style.StyleProblem]]:
    """Return the style problems of every file the steps concern."""
    names = sorted({name for step in steps for name in step.files})
    return {name: (style.check_readme(copy) if name == "README.md"
                   else style.check_file(copy, name, min_doc_words))
            for name in names}


def _task(step: Step, copy: Path, too_large: Mapping[str, str],
          problems: Dict[str, List[style.StyleProblem]],
          result: Optional[specrun.SpecResult]) -> TaskResult:
    """Assemble the checks of one task."""
    task = TaskResult(step)
    task.checks = (file_checks(step, copy, too_large)
                   + style_checks(step, copy, problems)
                   + spec_checks(result))
    if result is not None:
        task.timed_out = result.timed_out
        task.seconds = result.seconds
        task.output_tail = printable(result.output_tail)
    return task
