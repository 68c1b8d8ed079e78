#!/usr/bin/env python3
"""A step's own code is run among the reference only when there is some.

A step that fails with the student's whole stack is judged again on its
own code among the reference (kata/reading/splice.py). The grading skips that
run for a step none of whose code is written (kata/reading/started.py): the run
could only fail. Here that claim is proved for every step, on the starter,
where no step is started: each spliced variant the starter yields fails its
step's spec. And a grading of the starter makes no such run, while a step
with code of its own still gets one.
"""
import shutil
from pathlib import Path
from typing import List

import pytest

from kata.catalogue.steps import STEPS, Step
from kata.grading import grader
from kata.reading import splice
from kata.reading.started import started
from kata.student import workspace


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a workspace as init makes it: no step started."""
    folder = tmp_path_factory.mktemp("starter") / "ws"
    workspace.init(folder)
    return folder


def spliceable(starter: Path) -> List[Step]:
    """Return the steps whose code the starter can be spliced with."""
    found = []
    for step in STEPS:
        try:
            splice.spliced_files(step, starter)
        except splice.SpliceError:
            continue
        found.append(step)
    return found


def test_no_step_of_the_starter_is_started(starter: Path) -> None:
    """The claim below covers every step."""
    assert [step.number for step in STEPS if started(step, starter)] == []


def test_a_step_with_no_code_of_its_own_fails_among_the_reference(
        starter: Path, tmp_path: Path) -> None:
    """Every variant the starter yields fails its step's spec."""
    steps = spliceable(starter)
    assert steps, "the starter's db.py and auth.py steps can be spliced"
    for step in steps:
        variant = tmp_path / "{:02d}".format(step.number)
        splice.write_spliced(step, starter, variant)
        result = grader.spec_results(variant, [step])[step.number]
        assert not grader.spec_passed(result), step.number


def test_the_starter_s_grading_runs_no_step_among_the_reference(
        starter: Path) -> None:
    """Every task fails on the whole stack alone, with no note."""
    graded = grader.grade(starter, [STEPS[1], STEPS[9]])
    assert [(task.passed, task.integrated_checks, task.note)
            for task in graded.tasks] == [(False, [], "")] * 2


def test_a_started_step_is_still_judged_on_its_own_code(
        starter: Path, tmp_path: Path) -> None:
    """Step 01 written atop a broken user.py: its own code passes."""
    folder = tmp_path / "ws"
    workspace.init(folder, 2)
    user = folder / "user.py"
    user.write_text(user.read_text().replace('"users"', '"people"'))
    graded = grader.grade(folder, [STEPS[0], STEPS[1]])
    first, second = graded.tasks
    assert not first.passed
    assert second.passed and second.integrated_checks, second.note
    assert "works once step 0 is fixed" in second.note
    shutil.rmtree(str(folder))
