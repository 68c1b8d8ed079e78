#!/usr/bin/env python3
"""Charge a failing step's bug to the step whose code it is.

A step that fails with the student's whole stack runs again with its own
code among the reference (a spliced variant); a step right on its own but
wrong in the stack is told which step's code blocks it.
"""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from kata.catalogue.steps import Step
from kata.reading import splice
from kata.reading.text import one_line
from kata.verdict.model import REFERENCE, Check, TaskResult


def write_variant(step: Step, copy: Path, folder: Path,
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


def charge(tasks: List[TaskResult]) -> List[TaskResult]:
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


def line_maps(variant: Path, copy: Path
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
