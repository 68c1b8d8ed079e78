#!/usr/bin/env python3
"""Grade submissions task by task: their files, their style, their specs.

The orchestration: a copy of each submission, its jail, the spec runs
shared among parallel jobs, the re-runs of failing steps among the
reference, and the grade assembled from the checks.
"""
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import (Callable, Dict, Hashable, List, Mapping, Optional,
                    Sequence, Union, cast)

from kata.catalogue import manifest
from kata.catalogue.steps import STEPS, Step
from kata.grading import charging
from kata.judge import specrun
from kata.judge.kept_subject import KeptSubject
from kata.reading import splice
from kata.reading.advice import advise
from kata.reading.started import started
from kata.reading.text import printable
from kata.sandbox import jail
from kata.style.checking import StyleProblem
from kata.verdict import checks, intake
from kata.verdict.model import Check, Grade, TaskResult

# A run is a judge and a subject that take turns: two runs keep a core busy.
RUNS_PER_JOB = 2


def spec_checks(result: Optional[specrun.SpecResult]) -> List[Check]:
    """Return a check per test of the step's spec, plus any run problem."""
    if result is None:
        return [Check("spec run", "spec", False, "the spec was not run")]
    found = [Check(item.name, "spec", item.passed, item.message)
             for item in result.checks]
    if result.problem or not found:
        found.append(Check("spec run", "spec", False,
                           result.problem or "the spec ran no test"))
    return found


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


@dataclass(frozen=True)
class RunKey:
    """Which spec run a result is of: one step's, on one submission's code.

    own_code tells the run of the step's own code spliced among the
    reference (see kata/grading/charging.py) from the run of the student's
    whole stack.
    """

    submission: int
    step: int
    own_code: bool


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
    elsewhere: kata/classroom/engine.py ships a snapshot's files to another
    machine, and the refused ones are not among them.
    """
    if kept is not None and len(submissions) != 1:
        raise ValueError("a kept jail serves one submission")
    grading = Grading(steps, jobs, isolate, timeout, pytest_args, on_graded,
                      min_doc_words, kept)
    try:
        grading.take_in(submissions, refusals)
        return grading.assemble(grading.run_specs())
    finally:
        grading.end()


class Grading:
    """One grading of submissions, stage by stage (see grade_many).

    take_in copies the submissions; run_specs runs every step's spec on
    each, and, as each run ends, counts it, runs a failing started step
    again on its own code and ends a submission's jail after its last run;
    assemble makes the grades of the results; end, whatever happened,
    closes the jails still open and removes this grading's files.
    """

    def __init__(self, steps: Sequence[Step], jobs: int, isolate: bool,
                 timeout: Optional[float], pytest_args: Sequence[str],
                 on_graded: Optional[Callable[[int], None]],
                 min_doc_words: int, kept: Optional[KeptSubject]) -> None:
        """Note the options and make the folder this grading works in."""
        self.steps = steps
        self.jobs = jobs
        self.isolate = isolate
        self.timeout = timeout
        self.pytest_args = pytest_args
        self.on_graded = on_graded
        self.min_doc_words = min_doc_words
        self.kept = kept
        self.load_at_start = machine_load()["start"]
        self.work = Path(tempfile.mkdtemp(prefix="kata-grade-",
                                          dir=specrun.SCRATCH_ROOT))
        self.prefix = kept.new_grading() if kept is not None else ""
        # Per submission, by its index in the list given to take_in.
        self.submissions: Sequence[Path] = ()
        self.copies: List[Path] = []
        self.too_large: List[intake.Snapshot] = []
        self.variant_folders: List[Path] = []
        # Made when a step fails: the jail sees the folder's new content.
        self.variants: List[Dict[int, Union[Path, str, None]]] = []
        self.problems: List[Optional[checks.StyleProblems]] = []
        self.jails: Dict[int, jail.Jail] = {}
        self.confinement: Dict[int, str] = {}
        self.remaining: Dict[int, int] = {}
        self.modified: Dict[str, str] = {}
        self.broken_reference: Optional[str] = None

    def take_in(self, submissions: Sequence[Path],
                refusals: Optional[Sequence[Mapping[str, str]]]) -> None:
        """Copy each submission and make the folder of its variants."""
        kept = self.kept
        self.submissions = submissions
        self.copies = [kept.variants / (self.prefix + "submission")
                       if kept is not None
                       else self.work / str(index) / "submission"
                       for index in range(len(submissions))]
        self.too_large = [intake.snapshot(submission, copy)
                          for submission, copy in zip(submissions,
                                                      self.copies)]
        for found, earlier in zip(self.too_large, refusals or ()):
            found.update(earlier)
        self.problems = [None] * len(self.copies)
        # A reference that fails its manifest is never spliced into: the
        # steps are then judged on the student's whole stack only.
        self.broken_reference = manifest.reference_intact()
        self.variants = [{} for _ in self.copies]
        self.variant_folders = [kept.variants if kept is not None
                                else self.work / str(index) / "variants"
                                for index in range(len(self.copies))]
        for folder in self.variant_folders:
            folder.mkdir(parents=True, exist_ok=True)

    def _link(self, index: int, variant: Optional[str] = None) -> str:
        """Return the link to submission index's jail, started on first use.

        variant names the folder of a spliced variant to run instead of
        the submission's copy.
        """
        if self.kept is not None:
            running = self.kept.jail()
            self.confinement[index] = describe_confinement(running)
            return running.link(
                variant or self.copies[index].name).to_environment()
        if index not in self.jails:
            self.jails[index] = jail.Jail(
                self.copies[index], self.work / str(index), self.isolate,
                variants=self.variant_folders[index])
            self.confinement[index] = describe_confinement(
                self.jails[index])
        return self.jails[index].link(variant).to_environment()

    def run_specs(self) -> Dict[Hashable, specrun.SpecResult]:
        """Run every step's spec on every submission; return the results.

        Style is checked by this process while the spec runs use the
        cores: one submission's worth each time a run ends.
        """
        if self.copies:
            # The first jail's zygote preloads its libraries while this
            # process does the same for the judges.
            self._link(0)
        specrun.preload()
        # Longest first within a submission: the end-to-end run must not be
        # the one left running alone at the end.
        by_cost = sorted(self.steps, key=lambda step: -expected_cost(step))
        spec_jobs = [self._job(RunKey(index, step.number, False), step, copy)
                     for index, copy in enumerate(self.copies)
                     for step in by_cost]
        self.remaining = {index: len(by_cost)
                          for index in range(len(self.copies))}
        for index, count in self.remaining.items():
            if count == 0 and self.on_graded is not None:
                self.on_graded(index)
        results = specrun.run_specs(
            spec_jobs, self.jobs * RUNS_PER_JOB, self.timeout,
            self.pytest_args, self._finished, self._meanwhile)
        while None in self.problems:
            self._check_style()
        if not spec_jobs:
            self.modified.update(intake.specs_modified())
        return results

    def _job(self, key: RunKey, step: Step, code: Path) -> specrun.SpecJob:
        """Return the run of step's spec on code, in key's submission's jail.

        code is the submission's copy, or the folder of the step's own
        code spliced among the reference (then run as that variant).
        """
        variant = code.name if key.own_code else None
        return specrun.SpecJob(
            key, step, code,
            functools.partial(self._link, key.submission, variant))

    def _check_style(self) -> None:
        """Check the style of the next submission not yet checked."""
        if None in self.problems:
            index = self.problems.index(None)
            self.problems[index] = checks.style_problems(
                self.copies[index], self.steps, self.min_doc_words)

    def _meanwhile(self) -> None:
        """Check style and the grading tree while the first runs go."""
        self._check_style()
        self.modified.update(intake.specs_modified())

    def _finished(self, job: specrun.SpecJob, result: specrun.SpecResult
                  ) -> List[specrun.SpecJob]:
        """Count a finished run; judge a failing step on its own code.

        A step that fails with the student's whole stack runs again
        with its own code among the reference; once a submission is
        fully graded its jail ends.
        """
        self._check_style()
        # specrun keeps a job's key opaque; this grading's are RunKeys.
        key = cast(RunKey, job.key)
        self.remaining[key.submission] -= 1
        more = []
        if not key.own_code and not spec_passed(result):
            own = self._own_code_job(key, job.step)
            if own is not None:
                more.append(own)
                self.remaining[key.submission] += 1
        if self.remaining[key.submission] == 0:
            if key.submission in self.jails:
                self.jails.pop(key.submission).close()
            if self.on_graded is not None:
                self.on_graded(key.submission)
        return more

    def _own_code_job(self, key: RunKey, step: Step
                      ) -> Optional[specrun.SpecJob]:
        """Splice step's own code among the reference; return its run.

        Its variant, or why there is none, is kept for the grade; there
        is no run when the variant could not be made or is not needed.
        """
        index = key.submission
        copy = self.copies[index]
        # With none of its code written, a step can only fail among the
        # reference too (selftest/test_own_code_runs.py): the run would
        # tell nothing.
        variant = None if not started(step, copy) \
            else self.broken_reference or charging.write_variant(
                step, copy, self.variant_folders[index],
                self.too_large[index].extra_modules, self.prefix)
        self.variants[index][key.step] = variant
        if not isinstance(variant, Path):
            return None
        return self._job(RunKey(index, key.step, True), step, variant)

    def assemble(self, results: Mapping[Hashable, specrun.SpecResult]
                 ) -> List[Grade]:
        """Make each submission's grade of the results of its runs."""
        grades = [Grade(str(submission),
                        charging.charge([
                            _task(step, self.copies[index],
                                  self.too_large[index],
                                  self.problems[index] or {},
                                  results.get(
                                      RunKey(index, step.number, False)),
                                  results.get(
                                      RunKey(index, step.number, True)),
                                  self.variants[index].get(step.number))
                            for step in self.steps]),
                        self.confinement.get(index,
                                             describe_confinement(None)),
                        self.modified,
                        extra_modules=self.too_large[index].extra_modules,
                        load=machine_load(self.load_at_start))
                  for index, submission in enumerate(self.submissions)]
        for graded, copy in zip(grades, self.copies):
            graded.advice = advise(
                copy, [task.step for task in graded.tasks if task.passed])
        return grades

    def end(self) -> None:
        """Close the jails still open and remove this grading's files."""
        for running in self.jails.values():
            running.close()
        if self.kept is not None:
            self.kept.end_grading(self.prefix)
        shutil.rmtree(str(self.work), ignore_errors=True)


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
    if step.end_to_end:
        return 3
    return 2 if step.has_properties else 1


def _task(step: Step, copy: Path, too_large: Mapping[str, str],
          problems: Dict[str, List[StyleProblem]],
          result: Optional[specrun.SpecResult],
          own: Optional[specrun.SpecResult] = None,
          variant: Union[Path, str, None] = None) -> TaskResult:
    """Assemble the checks of one task.

    own is the run of the step's code among the reference, made when the
    whole stack fails; variant is its folder, or why it could not be made.
    """
    task = TaskResult(step)
    integrated = spec_checks(result)
    ruled = checks.file_checks(step, copy, too_large) + checks.style_checks(
        step, copy, problems)
    task.checks = ruled + (spec_checks(own) if own is not None
                           else integrated)
    if own is not None:
        task.integrated_checks = integrated
        if isinstance(variant, Path):
            maps = charging.line_maps(variant, copy)
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
