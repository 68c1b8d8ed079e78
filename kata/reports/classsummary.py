#!/usr/bin/env python3
"""The few lines that sum up a graded class, which roster prints.

How many submissions were graded, whose folder held none, how many passed
each task, and the check that failed in the most submissions.
"""
from collections import Counter
from typing import Any, Dict, List

from kata.catalogue.steps import STEPS


def summary(reports: Dict[str, Dict[str, Any]],
            not_found: List[str]) -> str:
    """Return per task how many passed, and the most failed check."""
    lines = ["Graded {} submission(s).".format(len(reports))]
    if not_found:
        lines.append("No submission found in: {}".format(
            ", ".join(not_found)))
    failures: Counter = Counter()
    for item in STEPS:
        passed = sum(1 for data in reports.values() for task in data["tasks"]
                     if task["task"] == item.number and task["passed"])
        lines.append("{:>3}  {:<40} {}/{} passed".format(
            item.number, item.title, passed, len(reports)))
    for data in reports.values():
        for task in data["tasks"]:
            for check in task["checks"]:
                if not check["passed"]:
                    failures["task {:02d}: {}".format(
                        task["task"], check["name"])] += 1
    if failures:
        # Ties go to the earliest check, so the summary is reproducible.
        check, count = min(failures.items(),
                           key=lambda item: (-item[1], item[0]))
        lines.append("Most failed check: {} ({} submission(s))".format(
            check, count))
    else:
        lines.append("No check failed.")
    return "\n".join(lines)
