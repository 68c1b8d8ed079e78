#!/usr/bin/env python3
"""The text report never cuts a path, and names the page each failure needs.

A reason repeated by several checks is shortened at a word, its reference
(the step's README, a rule's section of steps/STYLE.md) kept whole; the
step's README is named once under a task unless every failure names a page
of its own.
"""
from typing import List

import pytest

from kata.catalogue.steps import STEPS
from kata.reports import report
from kata.verdict import model

README = "(steps/02-find-user/README.md)"
LONG = ("importing db.py raised ModuleNotFoundError: No module named "
        "'user' (at db.py:7) ")


@pytest.mark.parametrize("message, expected", [
    (LONG + README, "importing db.py raised ModuleNotFoundError: No module "
     "named... " + README),
    ("user.py: the module has no docstring (G5); see steps/STYLE.md#g5",
     "user.py: the module has no docstring (G5); see steps/STYLE.md#g5"),
    ("x" * 70 + " (steps/00-user-model/README.md)",
     "x" * 70 + " (steps/00-user-model/README.md)"),
    ("see /" + "x" * 70 + " for more", "see..."),
    ("a short reason", "a short reason"),
], ids=["spec", "style", "one-long-word", "long-path", "short"])
def test_a_reason_is_cut_at_a_word_and_keeps_its_reference(
        message: str, expected: str) -> None:
    """The reason is shortened, the page to read never."""
    assert report.shortened(message) == expected


def test_repeated_failures_keep_the_readme_whole() -> None:
    """The "and N more" line ends with the full path of the README."""
    checks = [model.Check("test_{}".format(index), "spec", False,
                          LONG + README) for index in range(3)]
    lines = report.failure_lines(checks)
    assert lines[-1].startswith("       x ... and 2 more check(s)")
    assert lines[-1].endswith(README)


def task_text(checks: List[model.Check]) -> str:
    """Return the text report of step 0 failing these checks."""
    task = model.TaskResult(STEPS[0], checks)
    return report.to_text(model.Grade("/sub", [task], "none"))


def test_style_failures_point_to_the_style_page_not_the_readme() -> None:
    """Only a failure without a page of its own sends to the README."""
    style = model.Check("user.py G5: docstrings", "style", False,
                        "user.py: the module has no docstring (G5); see "
                        "steps/STYLE.md#g5")
    files = model.Check("user.py is present", "files", False,
                        "user.py is missing from the submission")
    readme = "read {}".format(STEPS[0].readme_ref)
    assert readme not in task_text([style])
    assert readme in task_text([style, files])
    assert "see steps/STYLE.md#g5" in task_text([style])
