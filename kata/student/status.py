#!/usr/bin/env python3
"""Where a student stands: each step done, failing or not started.

A step is *done* when its own verdict passes (style included), *failing*
when it does not but the student has written some of its code, and *not
started* when none of it is there. A step's code is what it owns in the
list of steps (its ``solution`` and ``owns`` entries, kata/catalogue/steps.py)
beyond what the starter hands out: a whole file the starter lacks, a definition
the starter's file lacks, a view found by its route and methods (its
function's name is the student's choice) or by the reference's name. The
next step is the first one that is not done.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from kata.catalogue.steps import Step
from kata.grading import grader
from kata.reading.started import started
from kata.reports import report
from kata.verdict import model
from kata.verdict.model import TaskState

DONE, FAILING, NOT_STARTED = "done", "failing", "not started"


@dataclass(frozen=True)
class StepStatus:
    """How far one step of a submission is, with its check counts."""

    step: Step
    state: str
    checks_passed: int
    checks: int
    # Its own code passes among the reference; the whole stack not yet.
    blocked: bool = False


def _status(task: model.TaskResult, started: bool) -> StepStatus:
    """Return the status of one graded task; started: its code is there."""
    passed, total = report.shown_counts(task)
    if task.state.done:
        state = DONE
    elif started:
        state = FAILING
    else:
        state = NOT_STARTED
    return StepStatus(task.step, state, passed, total,
                      task.state is TaskState.BLOCKED)


def step_statuses(folder: Path, isolate: bool = True) -> List[StepStatus]:
    """Grade every step of the submission in folder and say where it is."""
    grade = grader.grade(folder, isolate=isolate)
    return [_status(task, started(task.step, folder))
            for task in grade.tasks]


def next_step(statuses: List[StepStatus]) -> Optional[StepStatus]:
    """Return the first step that is not done, or None when all are."""
    return next((status for status in statuses if status.state != DONE),
                None)


def status_lines(statuses: List[StepStatus]) -> List[str]:
    """Return a line per step, then a line naming the next step."""
    width = max(len(status.step.title) for status in statuses) + 3
    lines = []
    for status in statuses:
        counts = "{:>3}/{:<3}".format(status.checks_passed, status.checks)
        line = "{:02d}  {}  {}  {}".format(
            status.step.number, status.step.title.ljust(width, "."), counts,
            status.state)
        if status.blocked:
            line += " (its own code; not yet with your whole stack)"
        lines.append(line)
    done = sum(status.state == DONE for status in statuses)
    upcoming = next_step(statuses)
    if upcoming is None:
        lines.append("{}/{} steps done. Every step passes.".format(
            done, len(statuses)))
    else:
        lines.append("{}/{} steps done. Next: step {:02d} {} (read {})".format(
            done, len(statuses), upcoming.step.number, upcoming.step.title,
            upcoming.step.readme_ref))
    return lines
