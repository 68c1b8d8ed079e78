#!/usr/bin/env python3
"""Independently written right answers pass every step.

The submissions under selftest/fixtures/similarity/independent/ were
written from the statements and TASKS.md alone, in different styles
(helpers, column checks or hasattr, tuples or abort, ...). The similarity
check is calibrated on them; here they prove that no step is stricter than
the exercise: each grades 21/21, style included.
"""
from pathlib import Path

import pytest

from helpers import ISOLATE
from kata.grading import grader
from kata.reports import report

INDEPENDENT = Path(__file__).resolve().parent / "fixtures" / "similarity" / \
    "independent"
SUBMISSIONS = sorted(path.name for path in INDEPENDENT.iterdir()
                     if path.is_dir())


def test_there_are_independent_submissions() -> None:
    """The check below has several submissions to run on."""
    assert len(SUBMISSIONS) >= 5, SUBMISSIONS


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_an_independent_submission_passes_every_step(name: str) -> None:
    """Every task passes with the submission's whole stack."""
    grade = grader.grade(INDEPENDENT / name, isolate=ISOLATE)
    assert grade.passed and all(task.integrated_passed
                                for task in grade.tasks), report.to_text(grade)
