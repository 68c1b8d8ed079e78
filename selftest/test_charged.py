#!/usr/bin/env python3
"""Each bug is charged to the step that owns it (kata/reading/splice.py).

A step is judged on its own code among the reference code. The proof, for
every known wrong answer: its own step fails on its own code, and every
other step's code among the reference is the reference itself (so it passes
as the solution does), or, where a mutant also touches another step's code
harmlessly, that step's spec passes on it. A few whole gradings show the
notes a student reads.
"""
import tempfile
from pathlib import Path
from typing import Dict, Iterator

import pytest

from helpers import failures, run_specs, spec_passed
from kata.catalogue import overlays
from kata.catalogue.steps import SOLUTION_DIR, STEPS, step
from kata.grading import grader
from kata.reading import splice

MUTANTS = overlays.load("mutants")
# Mutants whose edits also reach code another step owns, without breaking
# it: that step's spec runs on its spliced code and must pass.
HARMLESS_REACH = {
    ("02-or-filters", 1): "adds an import to db.py, whose module step 1 owns",
}


def same_as_solution(files: Dict[str, str]) -> bool:
    """Tell whether spliced files are the reference solution's."""
    return all(text == (SOLUTION_DIR / name).read_text()
               for name, text in files.items())


@pytest.fixture(scope="module")
def applied() -> Iterator[Path]:
    """Write every mutant into a folder of its own."""
    with tempfile.TemporaryDirectory() as folder:
        for mutant in MUTANTS:
            mutant.apply(Path(folder) / mutant.name)
        yield Path(folder)


@pytest.mark.parametrize("number", [item.number for item in STEPS])
def test_splicing_the_solution_gives_the_solution(number: int) -> None:
    """The solution's own code among the reference is the solution."""
    assert same_as_solution(splice.spliced_files(step(number),
                                                 SOLUTION_DIR))


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_a_mutant_reaches_only_its_own_step(
        mutant: overlays.Overlay, applied: Path) -> None:
    """Every other step's code among the reference is the reference."""
    folder = applied / mutant.name
    reached = [item.number for item in STEPS if item.number != mutant.step
               and not same_as_solution(splice.spliced_files(item, folder))]
    allowed = [number for name, number in HARMLESS_REACH
               if name == mutant.name]
    assert sorted(reached) == sorted(allowed), (
        "{} reaches the code of steps {}".format(mutant.name, reached))


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_a_mutant_fails_its_own_step_on_its_own_code(
        mutant: overlays.Overlay, applied: Path, tmp_path: Path) -> None:
    """The mutant's own step fails with only the mutant's code in it."""
    own = step(mutant.step)
    files = splice.spliced_files(own, applied / mutant.name)
    assert not same_as_solution(files), (
        "the mutant's edit is outside what step {} owns".format(own.number))
    splice.write_spliced(own, applied / mutant.name, tmp_path / "own")
    result = run_specs([own], tmp_path / "own")[own.number]
    assert not spec_passed(result), (
        "step {}'s spec passes on {} spliced into the reference".format(
            own.number, mutant.name))


@pytest.mark.parametrize("name,number", sorted(HARMLESS_REACH))
def test_a_harmless_reach_passes(name: str, number: int, applied: Path,
                                 tmp_path: Path) -> None:
    """Where a mutant touches another step's code, that step still passes."""
    splice.write_spliced(step(number), applied / name, tmp_path / "own")
    result = run_specs([step(number)], tmp_path / "own")[number]
    assert spec_passed(result), failures(result)


@pytest.mark.parametrize("name", ["00-table-named-user", "01-db-keeps-rows",
                                  "10-session-not-persisted",
                                  "20-asserts-its-own-apps-bug"])
def test_a_graded_mutant_fails_only_its_own_task(name: str,
                                                 applied: Path) -> None:
    """A whole grading charges the bug to its step and notes the others."""
    mutant = next(item for item in MUTANTS if item.name == name)
    grade = grader.grade(applied / name, jobs=2)
    failing = [task.step.number for task in grade.tasks if not task.passed]
    assert failing == [mutant.step], failing
    for task in grade.tasks:
        if task.passed and not task.integrated_passed:
            assert task.blocked_by == mutant.step, task.note
            assert task.note.startswith(
                "works once step {} is fixed".format(mutant.step)), task.note
