#!/usr/bin/env python3
"""Grade a submission task by task: its files, its style, its specs.

A task passes when every one of its checks passes. Checks come in three
kinds, kept apart in every report: ``files`` (the task's files are there),
``style`` (rules G1-G10 on those files) and ``spec`` (the step's spec).
"""
import ast
import errno
import functools
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import (Callable, Collection, Dict, Iterable, List, Mapping,
                    Optional, Sequence, Tuple, Union)

from kata import jail, manifest, ownership, splice, specrun, style
from kata.advice import Advice, advise
from kata.kept_subject import KeptSubject
from kata.started import started
from kata.steps import (MAX_FILE_BYTES, REPO_ROOT, STEPS, SUBMISSION_FILES,
                        Step)
from kata.text import one_line, printable

# A run is a judge and a subject that take turns: two runs keep a core busy.
RUNS_PER_JOB = 2
# How many modules of its own, besides the exercise files, a submission's
# files may import and have graded; the ones past it are refused.
MAX_EXTRA_MODULES = 20
# The page that ends a failure's message: "(steps/NN-slug/README.md)" of a
# spec, "; see steps/STYLE.md#g4" of a style rule.
REFERENCE = re.compile(r"(?: \(steps/[^()\s]+\)|; see steps/\S+)$")


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
    # The spec checks of the student's whole stack, where the task's own
    # verdict comes from its code among the reference (kata/splice.py).
    integrated_checks: List[Check] = field(default_factory=list)
    blocked_by: Optional[int] = None
    note: str = ""

    @property
    def passed(self) -> bool:
        """Tell whether every check of the task passed: its own verdict."""
        return all(check.passed for check in self.checks)

    @property
    def integrated_passed(self) -> bool:
        """Tell whether the task passes with the student's whole stack."""
        if not self.integrated_checks:
            return self.passed
        return self.kind_passed("files") and self.kind_passed("style") and \
            all(check.passed for check in self.integrated_checks)

    def kind_passed(self, kind: str) -> bool:
        """Tell whether every check of one kind passed."""
        return all(check.passed for check in self.checks
                   if check.kind == kind)

    @property
    def works(self) -> bool:
        """Tell whether the task's code works, style aside."""
        return self.kind_passed("files") and self.kind_passed("spec")

    @property
    def stack_checks(self) -> List[Check]:
        """Return the checks as the student's whole stack gives them.

        These are what a student reads, with the counts and places pytest
        shows on the same code; the task's own verdict may come from its
        code among the reference instead (see own_failures).
        """
        if not self.integrated_checks:
            return self.checks
        return [check for check in self.checks if check.kind != "spec"] + \
            self.integrated_checks

    @property
    def own_failures(self) -> List[Check]:
        """Return what the task's own code fails that its stack does not show.

        Empty unless the task's code was run among the reference code and
        failed there for a reason of its own.
        """
        if not self.integrated_checks:
            return []
        shown = {(check.name, check.message)
                 for check in self.integrated_checks if not check.passed}
        return [check for check in self.checks
                if check.kind == "spec" and not check.passed
                and (check.name, check.message) not in shown]


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
    # The modules of the submission folder, besides the exercise files,
    # that those import and that were copied and graded, e.g. wrappers.py.
    extra_modules: List[str] = field(default_factory=list)
    # The machine's load when the grading started and ended (one-minute
    # averages) and its cores: see machine_load.
    load: Dict[str, float] = field(default_factory=dict)
    # What a mentor would say about the code of the tasks that pass
    # (kata/advice.py), read once the verdicts are made: it changes none.
    advice: List[Advice] = field(default_factory=list)

    @property
    def graded_under_load(self) -> bool:
        """Tell whether the machine had more work than cores while grading."""
        return bool(self.load) and max(
            self.load["start"], self.load["end"]) > self.load["cores"]

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
    def score_integrated(self) -> float:
        """Return the percentage of points earned with the whole stack."""
        total = sum(task.step.points for task in self.tasks)
        earned = sum(task.step.points for task in self.tasks
                     if task.integrated_passed)
        return round(100.0 * earned / total, 1) if total else 0.0

    @property
    def passed(self) -> bool:
        """Tell whether every graded task passed."""
        return all(task.passed for task in self.tasks)


class Snapshot(Dict[str, str]):
    """Why each refused file of a submission was refused, by name.

    It also names, in extra_modules, the modules besides the exercise files
    that were copied because the exercise files import them.
    """

    def __init__(self) -> None:
        """Start with nothing refused and no extra module."""
        super().__init__()
        self.extra_modules: List[str] = []


def snapshot(submission: Path, destination: Path) -> Snapshot:
    """Copy the submission's own files into destination.

    Only the files of the exercise are copied, and the modules of the
    folder that they import, directly or transitively (junk such as a.db,
    caches, a virtualenv or a module nothing imports is left alone), and
    only regular files: a symbolic link is not followed, a FIFO, a device
    or a folder is not opened, nor is more than MAX_FILE_BYTES read. Return
    why each refused file was refused, by name; a missing file is not
    refused, just absent from the copy. The copied extra modules are listed,
    sorted, in the result's extra_modules.
    """
    destination.mkdir(parents=True, exist_ok=True)
    refused = Snapshot()
    for name in SUBMISSION_FILES:
        reason = _copy_regular_file(submission / name, destination / name,
                                    name)
        if reason is not None:
            refused[name] = reason
    # Each copied Python file is scanned for the modules it imports; a
    # module of the folder is a plain x.py at its top: a package (a folder
    # x/) is not looked for, nor is a module of a subfolder. A name with no
    # x.py in the folder is a library's (or a missing module, which the
    # spec run reports); an x.py that shadows a library is the submission's.
    queue = [name for name in SUBMISSION_FILES if name.endswith(".py")]
    considered = set(SUBMISSION_FILES)
    while queue:
        scanned = queue.pop(0)
        if scanned in refused:
            continue
        for module in _imported_modules(destination / scanned):
            name = module + ".py"
            if name in considered or not _lexists(submission / name):
                continue
            considered.add(name)
            if len(considered) - len(SUBMISSION_FILES) > MAX_EXTRA_MODULES:
                refused[name] = (
                    "{} was not copied: at most {} modules besides the "
                    "exercise files are graded".format(name,
                                                       MAX_EXTRA_MODULES))
                continue
            reason = _copy_regular_file(submission / name,
                                        destination / name, name)
            if reason is not None:
                refused[name] = reason
            elif (destination / name).is_file():
                refused.extra_modules.append(name)
                queue.append(name)
    refused.extra_modules.sort()
    return refused


def _lexists(path: Path) -> bool:
    """Tell whether path names anything, a broken symbolic link included."""
    try:
        os.lstat(str(path))
    except (OSError, ValueError):
        return False
    return True


def _imported_modules(path: Path) -> Tuple[str, ...]:
    """Return the top-level modules a Python file imports, e.g. wrappers.

    ``import x.y`` and ``from x.y import z`` give x; a relative import
    gives nothing. A file that cannot be read or parsed imports nothing.
    """
    try:
        info = os.lstat(str(path))
    except (OSError, ValueError):
        return ()
    if not stat.S_ISREG(info.st_mode):
        return ()
    return _parsed_imports(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=256)
def _parsed_imports(path: str, mtime_ns: int, size: int) -> Tuple[str, ...]:
    """Parse one file of a copy for its imports; cached by path and times.

    The modification time and the size are part of the key so that a file
    changed since is read again.
    """
    try:
        with open(path, "rb") as stream:
            source = stream.read(MAX_FILE_BYTES + 1)
        tree = ast.parse(source, path)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif (isinstance(node, ast.ImportFrom) and not node.level
              and node.module):
            modules.add(node.module.split(".")[0])
    return tuple(sorted(modules))


def imported_extra_modules(copy: Path, names: Iterable[str],
                           known: Collection[str]) -> List[str]:
    """Return the extra modules that files of a copy import, sorted.

    The files are names (exercise files of copy); their imports are
    followed, directly and transitively, through the modules of known (the
    extra modules snapshot copied or refused). A module of known that the
    copy lacks (it was refused) is listed but not followed, nor is another
    exercise file: what it imports goes with its own tasks.
    """
    found: List[str] = []
    queue = [name for name in names if name.endswith(".py")]
    seen = set(queue)
    while queue:
        for module in _imported_modules(copy / queue.pop(0)):
            name = module + ".py"
            if name in seen or name in SUBMISSION_FILES or name not in known:
                continue
            seen.add(name)
            found.append(name)
            queue.append(name)
    return sorted(found)


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
    (README.md included) fails with the reason it was refused, and so does
    a module of the folder that the step's files import but that snapshot
    refused (a symbolic link, say).
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
    extras = [name for name in refused if name not in SUBMISSION_FILES]
    for name in imported_extra_modules(copy, step.files, extras):
        checks.append(Check(name + " is present", "files", False,
                            refused[name]))
    return checks


def style_checks(step: Step, copy: Path,
                 problems: Dict[str, List[style.StyleProblem]],
                 ) -> List[Check]:
    """Return a check per rule per file of the step (see style_verdicts)."""
    return [check for _, _, check in style_verdicts(step, copy, problems)]


def style_verdicts(step: Step, copy: Path,
                   problems: Dict[str, List[style.StyleProblem]],
                   ) -> List[Tuple[str, style.Rule, Check]]:
    """Return (file, rule, check) for each rule of each file of the step.

    The rules of a file are those the registry of kata/style.py declares
    for its kind; a Python file the copy lacks has none (file_checks
    reports it). The modules of the folder that the step's files import
    (those of problems, see style_problems) are checked too, as helpers.
    A check only counts the problems charged to the step (see
    charge_problems): every step of a file keeps its checks, but a problem
    fails one step.
    """
    files = [(name, style.kind_of(name)) for name in step.files
             if name == style.README or (copy / name).is_file()]
    extras = [name for name in problems if name not in SUBMISSION_FILES]
    files += [(name, style.FileKind.HELPER)
              for name in imported_extra_modules(copy, step.files, extras)]
    charged = problems.charged if isinstance(problems, StyleProblems) \
        else charge_problems(copy, problems)
    verdicts = []
    for name, kind in files:
        mine = [problem for problem, owner in zip(problems.get(name, []),
                                                  charged.get(name, []))
                if owner is None or owner == step.number]
        for rule in style.rules_for(kind):
            found = [problem for problem in mine if problem.rule == rule.id]
            verdicts.append((name, rule, rule_check(name, rule, found)))
    return verdicts


class StyleProblems(Dict[str, List[style.StyleProblem]]):
    """The style problems of a copy's files, by name, and whose each is.

    charged holds, beside each file's list of problems, the number of the
    step each one is charged to (see charge_problems).
    """

    def __init__(self, problems: Dict[str, List[style.StyleProblem]],
                 charged: Dict[str, List[Optional[int]]]) -> None:
        """Keep the problems and the steps they are charged to."""
        super().__init__(problems)
        self.charged = charged


# The rules about a file as a whole (its first line, its last newline, its
# mode bits): the step owning the file's module level answers for them.
FILE_RULES = ("G1", "G2", "G3")
# pycodestyle's own word for G2's problem, reported on the last line.
NO_FINAL_NEWLINE = "pycodestyle W292 "


def charge_problems(copy: Path,
                    problems: Mapping[str, List[style.StyleProblem]],
                    ) -> Dict[str, List[Optional[int]]]:
    """Return, beside each problem, the step it is charged to.

    A problem belongs to the step that owns its line (kata/ownership.py):
    the definition around it, else the file's module level; a problem of
    the whole file (G1-G3, or line 0) to the module level's owner; all of
    a helper module's to the step owning the line that imports it. None
    means no step owns the file: every step that has it gets the problem.
    """
    owners = ownership.Ownership(copy)
    charged = {}
    for name, found in problems.items():
        broken_at = owners.file(name).broken_at \
            if name.endswith(".py") else None
        charged[name] = [owners.step_of(name, line)
                         for line in _charged_lines(found, broken_at)]
    return charged


def _charged_lines(found: Sequence[style.StyleProblem],
                   broken_at: Optional[int] = None) -> List[int]:
    """Return the line each problem of one file is charged by.

    A problem of a whole-file rule counts as line 0. kata/style.py sorts a
    rule's problems by line and, past its cap, adds one of line 0 for the
    rest: those come after the last problem shown, whose line it takes. In
    a file that does not parse from line broken_at on, pycodestyle reads
    that line and those after it wrongly: its problems there count as the
    syntax error's.
    """
    lines = []
    last_line: Dict[str, int] = {}
    for problem in found:
        line = problem.line
        if problem.rule in FILE_RULES or NO_FINAL_NEWLINE in problem.message:
            line = 0
        elif line == 0 and last_line.get(problem.rule):
            line = last_line[problem.rule]
        if broken_at and problem.rule == "G4" and line >= broken_at:
            line = broken_at
        last_line[problem.rule] = line
        lines.append(line)
    return lines


def rule_check(name: str, rule: style.Rule,
               found: List[style.StyleProblem]) -> Check:
    """Summarise the problems one rule found in one file as a check.

    A failing check's message ends with where steps/STYLE.md explains the
    rule.
    """
    title = "{} {}: {}".format(name, rule.id, rule.title)
    shown = "; ".join(problem.message for problem in found[:5])
    if len(found) > 5:
        shown += "; and {} more".format(len(found) - 5)
    if found:
        shown += "; see {}".format(rule.reference)
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
          pytest_args: Sequence[str] = (), min_doc_words: int = 2,
          kept: Optional[KeptSubject] = None) -> Grade:
    """Grade the given steps of a submission folder, never writing to it.

    kept, when given, is the jail to run the code in (``watch`` keeps one
    from one grading to the next); otherwise the grading starts its own.
    """
    return grade_many([submission], steps, jobs, isolate, timeout,
                      pytest_args, min_doc_words=min_doc_words,
                      kept=kept)[0]


def machine_load(start: Optional[float] = None) -> Dict[str, float]:
    """Return the load average now (as start, or beside a given start).

    Time limits are CPU time, so a busy machine should not change a
    verdict; the report still says when one was graded on it.
    """
    now = os.getloadavg()[0]
    return {"start": now if start is None else start, "end": now,
            "cores": float(os.cpu_count() or 1)}


def grade_many(submissions: Sequence[Path], steps: Sequence[Step] = STEPS,
               jobs: int = 2, isolate: bool = True,
               timeout: Optional[float] = None,
               pytest_args: Sequence[str] = (),
               on_graded: Optional[Callable[[int], None]] = None,
               min_doc_words: int = 2,
               refusals: Optional[Sequence[Mapping[str, str]]] = None,
               kept: Optional[KeptSubject] = None,
               ) -> List[Grade]:
    """Grade several submissions, their tasks sharing jobs parallel runs.

    Each submission's code runs in a jail of its own, started when its
    first task is and ended after its last; or, for a single submission,
    in the kept jail given, whose variants folder then holds this
    grading's copy and spliced variants until it ends. on_graded(index) is
    called as soon as submission index is fully graded. refusals, when
    given, says per submission why files were refused by a snapshot taken
    elsewhere: kata/engine.py ships a snapshot's files to another machine,
    and the refused ones are not among them.
    """
    if kept is not None and len(submissions) != 1:
        raise ValueError("a kept jail serves one submission")
    load_at_start = machine_load()["start"]
    work = Path(tempfile.mkdtemp(prefix="kata-grade-",
                                 dir=specrun.SCRATCH_ROOT))
    jails: Dict[int, jail.Jail] = {}
    confinement: Dict[int, str] = {}
    prefix = kept.new_grading() if kept is not None else ""
    try:
        copies = [kept.variants / (prefix + "submission") if kept is not None
                  else work / str(index) / "submission"
                  for index in range(len(submissions))]
        too_large = [snapshot(submission, copy)
                     for submission, copy in zip(submissions, copies)]
        for found, earlier in zip(too_large, refusals or ()):
            found.update(earlier)
        # Style is checked by this process while the spec runs use the
        # cores: one submission's worth each time a run ends.
        problems: List[Optional[Dict[str, List[style.StyleProblem]]]] = [
            None] * len(copies)

        def check_style() -> None:
            """Check the style of the next submission not yet checked."""
            if None in problems:
                index = problems.index(None)
                problems[index] = style_problems(copies[index], steps,
                                                 min_doc_words)

        # A reference that fails its manifest is never spliced into: the
        # steps are then judged on the student's whole stack only.
        broken_reference = manifest.reference_intact()
        # Made when a step fails: the jail sees the folder's new content.
        variants: List[Dict[int, Union[Path, str, None]]] = [
            {} for _ in copies]
        variant_folders = [kept.variants if kept is not None
                           else work / str(index) / "variants"
                           for index in range(len(copies))]
        for folder in variant_folders:
            folder.mkdir(parents=True, exist_ok=True)

        def subject(index: int, variant: Optional[str] = None
                    ) -> Callable[[], str]:
            """Return the starter of submission index's jail."""
            def link() -> str:
                """Start the jail on first use; return its link."""
                if kept is not None:
                    running = kept.jail()
                    confinement[index] = describe_confinement(running)
                    return running.link(
                        variant or copies[index].name).to_environment()
                if index not in jails:
                    jails[index] = jail.Jail(
                        copies[index], work / str(index), isolate,
                        variants=variant_folders[index])
                    confinement[index] = describe_confinement(jails[index])
                return jails[index].link(variant).to_environment()
            return link

        if copies:
            # The first jail's zygote preloads its libraries while this
            # process does the same for the judges.
            subject(0)()
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

        def done(job: specrun.SpecJob, result: specrun.SpecResult
                 ) -> List[specrun.SpecJob]:
            """Count a finished run; judge a failing step on its own code.

            A step that fails with the student's whole stack runs again
            with its own code among the reference; once a submission is
            fully graded its jail ends.
            """
            check_style()
            index, number = job.key[0], job.key[1]
            remaining[index] -= 1
            more = []
            if len(job.key) == 2 and not spec_passed(result):
                # With none of its code written, a step can only fail among
                # the reference too (selftest/test_own_code_runs.py): the
                # run would tell nothing.
                variant = None if not started(job.step, copies[index]) \
                    else broken_reference or _variant(
                        job.step, copies[index], variant_folders[index],
                        too_large[index].extra_modules, prefix)
                variants[index][number] = variant
                if isinstance(variant, Path):
                    more.append(specrun.SpecJob(
                        (index, number, "own"), job.step, variant,
                        subject(index, variant.name)))
                    remaining[index] += 1
            if remaining[index] == 0:
                if index in jails:
                    jails.pop(index).close()
                if on_graded is not None:
                    on_graded(index)
            return more

        for index, count in remaining.items():
            if count == 0 and on_graded is not None:
                on_graded(index)
        modified: Dict[str, str] = {}

        def meanwhile() -> None:
            """Check style and the grading tree while the first runs go."""
            check_style()
            modified.update(specs_modified())

        results = specrun.run_specs(spec_jobs, jobs * RUNS_PER_JOB, timeout,
                                    pytest_args, done, meanwhile)
        while None in problems:
            check_style()
        if not spec_jobs:
            modified.update(specs_modified())
        grades = [Grade(str(submission),
                        _charged([_task(step, copies[index], too_large[index],
                                        problems[index] or {},
                                        results.get((index, step.number)),
                                        results.get((index, step.number,
                                                     "own")),
                                        variants[index].get(step.number))
                                  for step in steps]),
                        confinement.get(index, describe_confinement(None)),
                        modified, extra_modules=too_large[index].extra_modules,
                        load=machine_load(load_at_start))
                  for index, submission in enumerate(submissions)]
        for graded, copy in zip(grades, copies):
            graded.advice = advise(
                copy, [task.step for task in graded.tasks if task.passed])
        return grades
    finally:
        for running in jails.values():
            running.close()
        if kept is not None:
            kept.end_grading(prefix)
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
        return specrun.run_specs(spec_jobs, jobs * RUNS_PER_JOB, timeout,
                                 pytest_args)
    finally:
        running.close()
        shutil.rmtree(str(work), ignore_errors=True)


def spec_passed(result: Optional[specrun.SpecResult]) -> bool:
    """Tell whether a spec run completed and every test passed."""
    return (result is not None and result.completed and not result.problem
            and bool(result.checks)
            and all(check.passed for check in result.checks))


def _variant(step: Step, copy: Path, folder: Path,
             extra_modules: Sequence[str], prefix: str = ""
             ) -> Union[Path, str, None]:
    """Write step's spliced submission into folder; return where, or why not.

    Its folder is named after the step, behind prefix. None: the spliced
    code is the submission's own, so no run is needed.
    """
    try:
        files = splice.spliced_files(step, copy)
    except splice.SpliceError as error:
        return str(error)
    if all((copy / name).is_file() and
           (copy / name).read_bytes() == text.encode()
           for name, text in files.items()):
        return None
    destination = folder / "{}{:02d}".format(prefix, step.number)
    splice.write_spliced(step, copy, destination, extra_modules)
    return destination


def _charged(tasks: List[TaskResult]) -> List[TaskResult]:
    """Name, for a task right on its own but not in the stack, what to fix."""
    for task in tasks:
        if not task.passed or task.integrated_passed:
            continue
        first = _blocking(task, tasks)
        if first is not None:
            reason = next((check.message for check in first.stack_checks
                           if not check.passed and check.kind != "style"),
                          "")
            task.blocked_by = first.step.number
            task.note = "works once step {} is fixed{}".format(
                first.step.number, ": " + one_line(reason) if reason else "")
        else:
            reason = next((check.message for check in task.integrated_checks
                           if not check.passed), "")
            task.note = ("works among the reference code, but not with "
                         "your whole stack{}".format(
                             ": " + one_line(reason) if reason else ""))
    return tasks


def _blocking(task: TaskResult,
              tasks: Sequence[TaskResult]) -> Optional[TaskResult]:
    """Return the step whose code keeps task's whole stack from working.

    A step whose code fails with the very message task's stack fails with
    is the one (a syntax error in a later step's method breaks the whole
    file); else the first earlier step whose code does not work. A step
    whose code works, style aside, breaks nothing.
    """
    broken = [other for other in tasks
              if other is not task and not other.works]
    seen = {_reason(check) for check in task.integrated_checks
            if not check.passed}
    sharing = [other for other in broken
               if seen & {_reason(check) for check in other.stack_checks
                          if not check.passed}]
    earlier = [other for other in broken
               if other.step.number < task.step.number]
    return (sharing or earlier or [None])[0]


def _reason(check: Check) -> str:
    """Return a check's message without the page it sends the student to."""
    return REFERENCE.sub("", check.message)


def _line_maps(variant: Path, copy: Path
               ) -> Dict[str, Optional[Dict[int, int]]]:
    """Return, per file a spliced variant changed, where its lines are.

    A file the variant has as the student wrote it needs no map; one the
    student has not has every line in the reference's code.
    """
    maps: Dict[str, Optional[Dict[int, int]]] = {}
    for path in variant.glob("*.py"):
        spliced = path.read_text(encoding="utf-8", errors="replace")
        try:
            student = (copy / path.name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            maps[path.name] = {}
            continue
        if student != spliced:
            maps[path.name] = splice.line_map(spliced, student)
    return maps


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


def style_problems(copy: Path, steps: Sequence[Step], min_doc_words: int,
                   ) -> StyleProblems:
    """Return the style problems of every file the steps concern.

    The modules of the folder that those files import, which snapshot
    copied, are among them, judged by the rules of a helper module. Each
    problem is charged to one step (see charge_problems).
    """
    names = sorted({name for step in steps for name in step.files})
    copied = [path.name for path in copy.glob("*.py")
              if path.name not in SUBMISSION_FILES]
    problems = {name: (style.check_readme(copy) if name == style.README
                       else style.check_file(copy, name, min_doc_words))
                for name in names}
    for name in imported_extra_modules(copy, names, copied):
        problems[name] = style.check_file(copy, name, min_doc_words,
                                          style.FileKind.HELPER)
    return StyleProblems(problems, charge_problems(copy, problems))


def _task(step: Step, copy: Path, too_large: Mapping[str, str],
          problems: Dict[str, List[style.StyleProblem]],
          result: Optional[specrun.SpecResult],
          own: Optional[specrun.SpecResult] = None,
          variant: Union[Path, str, None] = None) -> TaskResult:
    """Assemble the checks of one task.

    own is the run of the step's code among the reference, made when the
    whole stack fails; variant is its folder, or why it could not be made.
    """
    task = TaskResult(step)
    integrated = spec_checks(result)
    ruled = file_checks(step, copy, too_large) + style_checks(
        step, copy, problems)
    task.checks = ruled + (spec_checks(own) if own is not None
                           else integrated)
    if own is not None:
        task.integrated_checks = integrated
        if isinstance(variant, Path):
            maps = _line_maps(variant, copy)
            task.checks = ruled + [
                Check(check.name, check.kind, check.passed,
                      splice.in_student_lines(check.message, maps))
                for check in spec_checks(own)]
    elif isinstance(variant, str) and not spec_passed(result):
        task.note = ("judged on your whole stack only: this step's code "
                     "could not be run among the reference code ({})"
                     .format(variant))
    if result is not None:
        task.timed_out = result.timed_out
        task.seconds = result.seconds
        task.output_tail = printable(result.output_tail)
    return task
