#!/usr/bin/env python3
"""The model of a grade: checks, the result of a task, a submission's grade.

A task passes when every one of its checks passes. Checks come in three
kinds, kept apart in every report: ``files`` (the task's files are there),
``style`` (rules G1-G10 on those files) and ``spec`` (the step's spec).
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from kata.catalogue.steps import Step
from kata.reading.advice import Advice
from kata.reading.text import printable

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
    # verdict comes from its code among the reference (kata/reading/splice.py).
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
    # kata.catalogue.manifest.tampering.
    tampering: Dict[str, str] = field(default_factory=dict)
    ignored: List[str] = field(default_factory=list)
    # The modules of the submission folder, besides the exercise files,
    # that those import and that were copied and graded, e.g. wrappers.py.
    extra_modules: List[str] = field(default_factory=list)
    # The machine's load when the grading started and ended (one-minute
    # averages) and its cores: see machine_load.
    load: Dict[str, float] = field(default_factory=dict)
    # What a mentor would say about the code of the tasks that pass
    # (kata/reading/advice.py), read once the verdicts are made: it changes
    # none.
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
