#!/usr/bin/env python3
"""The model of a grade: checks, the result of a task, a submission's grade.

A task passes when every one of its checks passes. Checks come in three
kinds, kept apart in every report: ``files`` (the task's files are there),
``style`` (rules G1-G10 on those files) and ``spec`` (the step's spec).
"""
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional

from kata.catalogue.steps import STEPS, Step
from kata.reading.advice import Advice
from kata.reading.text import one_line, printable

# The page that ends a failure's message: "(steps/NN-slug/README.md)" of a
# spec, "; see steps/STYLE.md#g4" of a style rule.
REFERENCE = re.compile(r"(?: \(steps/[^()\s]+\)|; see steps/\S+)$")


class CheckKind(str, Enum):
    """What a check looks at; reports keep the kinds apart."""

    FILES = "files"
    STYLE = "style"
    SPEC = "spec"

    def __str__(self) -> str:
        """Return the kind's word, as every report writes it."""
        return str(self.value)


class TaskState(Enum):
    """Where a task stands: one vocabulary for every report and tool."""

    # Passes, with the student's whole stack too.
    PASS = "pass"
    # Its own code passes among the reference; the whole stack does not yet.
    BLOCKED = "blocked"
    # The code works, but its style does not pass.
    STYLE = "style"
    TIMEOUT = "timeout"
    FAIL = "fail"

    @property
    def done(self) -> bool:
        """Tell whether the task's own verdict is a pass."""
        return self in (TaskState.PASS, TaskState.BLOCKED)


@dataclass
class Check:
    """One graded check of a task."""

    name: str
    kind: CheckKind
    passed: bool
    message: str = ""

    def __post_init__(self) -> None:
        """Keep what student code put in the name and message printable."""
        self.name = printable(self.name)
        self.message = printable(self.message)
        self.kind = CheckKind(self.kind)

    def to_dict(self) -> Dict[str, Any]:
        """Return the check as the JSON report has it."""
        return {"name": one_line(self.name), "kind": str(self.kind),
                "passed": self.passed, "message": one_line(self.message)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Check":
        """Return the check a JSON report holds (see to_dict)."""
        return cls(str(data.get("name", "")), data.get("kind", "spec"),
                   bool(data.get("passed")), str(data.get("message") or ""))


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
    def state(self) -> TaskState:
        """Return where the task stands, telling broken from badly styled."""
        if self.passed:
            return TaskState.PASS if self.integrated_passed \
                else TaskState.BLOCKED
        if self.works:
            return TaskState.STYLE
        if self.timed_out:
            return TaskState.TIMEOUT
        return TaskState.FAIL

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

    def to_dict(self) -> Dict[str, Any]:
        """Return the task's part of the JSON report."""
        return {
            "task": self.step.number,
            "title": self.step.title,
            "readme": self.step.readme_ref,
            "points": self.step.points,
            "passed": self.passed,
            "works": self.works,
            "style_ok": self.kind_passed("style"),
            "timed_out": self.timed_out,
            "integrated_passed": self.integrated_passed,
            "blocked_by": self.blocked_by,
            "note": one_line(self.note),
            "checks": [check.to_dict() for check in self.checks],
            "integrated_checks": [check.to_dict()
                                  for check in self.integrated_checks],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Optional["TaskResult"]:
        """Return the task a JSON report holds, or None for no known step.

        What the report derives (passed, works, ...) is derived again from
        the checks, so a task reads back as the checker graded it.
        """
        step = next((item for item in STEPS
                     if item.number == data.get("task")), None)
        if step is None:
            return None
        blocked_by = data.get("blocked_by")
        return cls(step, [Check.from_dict(item)
                          for item in _listed(data.get("checks"))
                          if isinstance(item, Mapping)],
                   timed_out=bool(data.get("timed_out")),
                   integrated_checks=[
                       Check.from_dict(item)
                       for item in _listed(data.get("integrated_checks"))
                       if isinstance(item, Mapping)],
                   blocked_by=blocked_by if isinstance(blocked_by, int)
                   else None,
                   note=str(data.get("note") or ""))


@dataclass
class Grade:
    """The grade of one submission."""

    submission: str
    tasks: List[TaskResult]
    isolation: str
    # How the grading tree differs from the shipped one, by path: see
    # kata.catalogue.manifest.tampering.
    tampering: Dict[str, str] = field(default_factory=dict)
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

    def to_dict(self) -> Dict[str, Any]:
        """Return the grade as plain data, the shape of the --json report."""
        return {
            "submission": one_line(self.submission),
            "tasks": [task.to_dict() for task in self.tasks],
            "score": self.score,
            "tasks_passed": sum(task.passed for task in self.tasks),
            "tasks_passed_integrated": sum(task.integrated_passed
                                           for task in self.tasks),
            "score_integrated": self.score_integrated,
            "tasks_total": len(self.tasks),
            "checks_passed": sum(check.passed for check in self.checks),
            "checks_total": len(self.checks),
            "isolation": self.isolation,
            "specs_modified": self.specs_modified,
            "tampering": [one_line(path) for path in sorted(self.tampering)],
            "extra_modules": [one_line(name) for name in self.extra_modules],
            "advice": [{"key": item.key, "kind": item.kind, "step": item.step,
                        "text": one_line(item.text),
                        "where": one_line(item.where)}
                       for item in self.advice],
            **({"graded_under_load": self.load} if self.graded_under_load
               else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Grade":
        """Return the grade a JSON report holds (see to_dict).

        Reports made by an older checker may lack fields: they read as
        empty. The report keeps no times, no run output and only the
        paths of the tampering, so those read as zero, empty and
        "modified".
        """
        tasks = [TaskResult.from_dict(item)
                 for item in _listed(data.get("tasks"))
                 if isinstance(item, Mapping)]
        load = data.get("graded_under_load")
        return cls(
            str(data.get("submission", "")),
            [task for task in tasks if task is not None],
            str(data.get("isolation", "")),
            tampering={str(path): "modified"
                       for path in _listed(data.get("tampering"))},
            extra_modules=[str(name)
                           for name in _listed(data.get("extra_modules"))],
            load=dict(load) if isinstance(load, Mapping) else {},
            advice=[Advice(str(item.get("key", "")), str(item.get("kind", "")),
                           int(item.get("step", 0)), str(item.get("text", "")),
                           str(item.get("where", "")))
                    for item in _listed(data.get("advice"))
                    if isinstance(item, Mapping)])


def _listed(value: Any) -> List[Any]:
    """Return a stored report's list, or an empty one for anything else."""
    return value if isinstance(value, list) else []
