#!/usr/bin/env python3
"""Reports of a grade: text for people, JSON for gradebooks, JUnit for CI."""
import json
from typing import Dict, List, Sequence, Tuple

from junit_xml import TestCase, TestSuite, to_xml_report_string

from kata.reading import advice
from kata.reading.text import one_line
from kata.verdict.model import (REFERENCE, Check, Grade, TaskResult,
                                TaskState)

# How many modified paths the text report's banner names.
BANNER_PATHS = 10
# How long the reason of a repeated failure is shown, about.
REASON_WIDTH = 60
# What the text report says of a task in each state.
VERDICTS = {
    TaskState.PASS: "pass",
    TaskState.BLOCKED: "pass (its own code; not yet with your whole stack)",
    TaskState.STYLE: "FAIL (works, but style problems)",
    TaskState.TIMEOUT: "FAIL (timed out)",
    TaskState.FAIL: "FAIL",
}
# The line under a report's first when it was graded on a busy machine.
UNDER_LOAD = ("Graded while the machine was busy (load {start:.1f}, then "
              "{end:.1f}, on {cores:.0f} cores): the time limits are CPU "
              "time, so the verdicts should not be affected")


def to_json(grade: Grade) -> str:
    """Return the JSON report."""
    return json.dumps(grade.to_dict(), indent=2, ensure_ascii=True)


def to_junit(grade: Grade) -> str:
    """Return a JUnit XML report: a suite per task, a test case per check."""
    suites = []
    for task in grade.tasks:
        cases = []
        for check in task.checks:
            case = TestCase(one_line(check.name), classname="{}.{}".format(
                task.step.name, check.kind))
            if not check.passed:
                case.add_failure_info(
                    message=one_line(check.message) or "failed")
            cases.append(case)
        suites.append(TestSuite("task {:02d} {}".format(
            task.step.number, task.step.title), cases))
    return to_xml_report_string(suites)


def _verdict(task: TaskResult) -> str:
    """Return a phrase that tells "broken" from "works, but badly styled"."""
    return VERDICTS[task.state]


def shown_counts(task: TaskResult) -> Tuple[int, int]:
    """Return how many checks pass, of how many, as a student reads them.

    A failing task counts its whole stack's checks, as pytest would on the
    same code; a passing one counts the checks that gave it its verdict.
    """
    checks = task.checks if task.passed else task.stack_checks
    return sum(check.passed for check in checks), len(checks)


def task_failure_lines(task: TaskResult) -> List[str]:
    """Return the failures of a task a student reads, one per line.

    Those of the whole stack come first, with the student's own places;
    what the task's own code fails among the reference, and the stack does
    not show, follows under a line that says so.
    """
    if task.passed:
        return []
    lines = failure_lines([check for check in task.stack_checks
                           if not check.passed])
    extra = task.own_failures
    if extra:
        lines.append("       with the reference doing the other steps, "
                     "this step's own code also fails:")
        lines.extend(failure_lines(extra))
    return lines


def advice_lines(given: Sequence[advice.Advice], number: int) -> List[str]:
    """Return the advice shown under a passing step: the most useful two.

    Advice is about code that works; it is never a failure
    (kata/reading/advice.py).
    """
    links = {comment.key: comment.link for comment in advice.catalogue()}
    return ["       advice ({}, {}): {} (read {})".format(
        item.kind, one_line(item.where), one_line(item.text),
        links.get(item.key, "steps/STYLE.md"))
        for item in advice.shown(given, number)]


def failure_lines(failed: List[Check]) -> List[str]:
    """Return a line per failed check; repeats of a reason are counted."""
    lines: List[str] = []
    shown: Dict[str, int] = {}
    for check in failed:
        message = one_line(check.message) or "failed"
        if message in shown:
            shown[message] += 1
            continue
        shown[message] = 0
        lines.append("       x [{}] {}: {}".format(
            check.kind, one_line(check.name), message))
    for message, repeats in shown.items():
        if repeats:
            lines.append("       x ... and {} more check(s) failing for "
                         "the same reason: {}".format(
                             repeats, shortened(message)))
    return lines


def shortened(message: str, width: int = REASON_WIDTH) -> str:
    """Return message with its reason cut, at a word, to about width.

    The reference that ends a message, the README to read or the rule's
    section of steps/STYLE.md, is kept whole, and so is every word: a
    path is never cut.
    """
    match = REFERENCE.search(message)
    reason, reference = (message[:match.start()], match.group()) \
        if match else (message, "")
    if len(reason) > width:
        # At the last space within width, else at the first after it: a
        # word longer than width (a path, say) is kept whole.
        cut = reason.rfind(" ", 0, width + 1)
        if cut <= 0:
            cut = reason.find(" ", width)
        if 0 < cut < len(reason.rstrip()):
            reason = reason[:cut].rstrip(" ,;:") + "..."
    return reason + reference


def has_reference(message: str) -> bool:
    """Tell whether a message ends with the page a student should read."""
    return REFERENCE.search(message) is not None


def to_text(grade: Grade, show_output: bool = False) -> str:
    """Return the human report: a line per task, the failures under it."""
    banner = tampering_banner(grade)
    lines: List[str] = [banner] if banner else []
    lines.append("Grading {}".format(one_line(grade.submission)))
    if grade.graded_under_load:
        lines.append(UNDER_LOAD.format(**grade.load))
    if grade.extra_modules:
        lines.append("Also graded: {} (imported by the exercise files)"
                     .format(", ".join(one_line(name)
                                       for name in grade.extra_modules)))
    width = max((len(task.step.title) for task in grade.tasks),
                default=0) + 3
    for task in grade.tasks:
        passed, total = shown_counts(task)
        lines.append("{:>3}  {}  {:>3}/{:<3} {}".format(
            task.step.number, task.step.title.ljust(width, "."), passed,
            total, _verdict(task)))
        failed = [check for check in task.stack_checks + task.own_failures
                  if not check.passed] if not task.passed else []
        if task.note:
            lines.append("       note: {}".format(one_line(task.note)))
        if task.passed and not task.integrated_passed:
            broken = [check for check in task.integrated_checks
                      if not check.passed]
            lines.append("       with your whole stack: {}/{} spec checks "
                         "fail".format(len(broken),
                                       len(task.integrated_checks)))
        lines.extend(task_failure_lines(task))
        lines.extend(advice_lines(grade.advice, task.step.number))
        # The step's README is named once, unless a failure names it or
        # every failure names a page of its own (a rule of steps/STYLE.md).
        if (failed and not any(check.message.endswith("README.md)")
                               for check in failed)
                and not all(has_reference(check.message)
                            for check in failed)):
            lines.append("       read {}".format(task.step.readme_ref))
        if failed and show_output and task.output_tail.strip():
            lines.append("       output of the run:")
            tail = task.output_tail.rstrip("\n").split("\n")[-15:]
            lines.extend("       | " + one_line(line) for line in tail)
    tasks_passed = sum(task.passed for task in grade.tasks)
    checks = grade.checks
    lines.append("Score: {}/{} tasks passed ({}%), {}/{} checks passed".format(
        tasks_passed, len(grade.tasks), grade.score,
        sum(check.passed for check in checks), len(checks)))
    integrated = sum(task.integrated_passed for task in grade.tasks)
    if integrated != tasks_passed:
        lines.append("With your whole stack: {}/{} tasks pass ({}%); a "
                     "task's own code counts for the score".format(
                         integrated, len(grade.tasks),
                         grade.score_integrated))
    if banner:
        lines.append(banner)
    return "\n".join(lines)


def tampering_banner(grade: Grade) -> str:
    """Return the warning line of a modified grading tree, or ""."""
    if not grade.tampering:
        return ""
    paths = sorted(grade.tampering)
    shown = ", ".join("{} {}".format(one_line(path), grade.tampering[path])
                      for path in paths[:BANNER_PATHS])
    if len(paths) > BANNER_PATHS:
        shown += ", and {} more".format(len(paths) - BANNER_PATHS)
    return ("WARNING: the grading tree was modified: {}; this grade may not "
            "be the official one".format(shown))
