#!/usr/bin/env python3
"""The few lines that sum up a graded class, which roster prints.

How many submissions were graded, whose folder held none, how many passed
each task, and the check that failed in the most submissions.
"""
from typing import Any, Dict, List

from kata.catalogue.steps import STEPS
from kata.reports import classreport


def summary(reports: Dict[str, Dict[str, Any]],
            not_found: List[str]) -> str:
    """Return per task how many passed, and the most failed check."""
    lines = ["Graded {} submission(s).".format(len(reports))]
    if not_found:
        lines.append("No submission found in: {}".format(
            ", ".join(not_found)))
    grades = classreport.grades_of(reports).values()
    for item in STEPS:
        passed = sum(1 for grade in grades for task in grade.tasks
                     if task.step is item and task.passed)
        lines.append("{:>3}  {:<40} {}/{} passed".format(
            item.number, item.title, passed, len(reports)))
    failed = classreport.most_failed(grades, limit=1)
    if failed:
        check, count = failed[0]
        lines.append("Most failed check: {} ({} submission(s))".format(
            check, count))
    else:
        lines.append("No check failed.")
    return "\n".join(lines)
