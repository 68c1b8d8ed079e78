#!/usr/bin/env python3
"""The specs are right: they pass on solution/ and reject the wrong answers."""
import shutil
from pathlib import Path
from typing import Dict

import pytest

from helpers import failures, run_specs, spec_passed
from kata.catalogue import overlays
from kata.catalogue.steps import SOLUTION_DIR, STARTER_DIR, STEPS, step
from kata.judge import specrun

MUTANTS = overlays.load("mutants")
ALTERNATIVES = overlays.load("alternatives")
SEEDS = range(1, 21)
HYPOTHESIS_STEPS = [candidate for candidate in STEPS
                    if "hypothesis" in candidate.spec.read_text()]


@pytest.fixture(scope="module")
def solution_results() -> Dict[int, specrun.SpecResult]:
    """Run every spec once against the reference solution."""
    return run_specs(STEPS, SOLUTION_DIR)


def test_every_step_has_a_spec() -> None:
    """Each step of the list has its spec file."""
    missing = [str(candidate.spec) for candidate in STEPS
               if not candidate.spec.is_file()]
    assert not missing, "steps without a spec: {}".format(missing)


@pytest.mark.parametrize("number", [candidate.number for candidate in STEPS])
def test_spec_passes_on_solution(
        solution_results: Dict[int, specrun.SpecResult], number: int) -> None:
    """The reference solution passes every spec."""
    result = solution_results[number]
    assert spec_passed(result), failures(result)


@pytest.mark.parametrize("seed", SEEDS)
def test_specs_pass_on_solution_whatever_the_seed(seed: int) -> None:
    """The hypothesis properties hold for the solution under any seed."""
    results = run_specs(HYPOTHESIS_STEPS, SOLUTION_DIR,
                        ["--hypothesis-seed={}".format(seed)])
    for number, result in results.items():
        assert spec_passed(result), "step {}, seed {}:\n{}".format(
            number, seed, failures(result))


def test_every_spec_fails_on_the_starter(tmp_path: Path) -> None:
    """No step is done in the starter: every spec fails on it."""
    for item in STARTER_DIR.iterdir():
        shutil.copy2(str(item), str(tmp_path / item.name))
    results = run_specs(STEPS, tmp_path)
    passing = [number for number, result in results.items()
               if spec_passed(result)]
    assert not passing, "specs passing on the starter: {}".format(passing)


def test_every_step_has_a_known_wrong_answer() -> None:
    """Each step's spec is proven against at least one mutant."""
    covered = {mutant.step for mutant in MUTANTS}
    missing = [candidate.number for candidate in STEPS
               if candidate.number not in covered]
    assert not missing, "steps without a mutant: {}".format(missing)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_fails_its_spec(tmp_path: Path,
                               mutant: overlays.Overlay) -> None:
    """A known wrong answer fails the spec of its step."""
    assert mutant.step is not None, "{} names no step".format(mutant.name)
    folder = mutant.apply(tmp_path / mutant.name)
    result = run_specs([step(mutant.step)], folder)[mutant.step]
    assert result.completed, "the spec run did not complete: {}".format(
        failures(result))
    assert not spec_passed(result), (
        "the spec of step {} accepts the wrong answer '{}'".format(
            mutant.step, mutant.about))
    readme = step(mutant.step).readme_ref
    explained = [check for check in result.checks if not check.passed
                 and check.message.endswith("({})".format(readme))]
    assert explained, "no failure names {}:\n{}".format(
        readme, failures(result))


@pytest.mark.parametrize("alternative", ALTERNATIVES,
                         ids=[a.name for a in ALTERNATIVES])
def test_alternative_passes_every_spec(
        tmp_path: Path, alternative: overlays.Overlay) -> None:
    """Another right answer passes every spec: the specs test the contract."""
    folder = alternative.apply(tmp_path / alternative.name)
    for number, result in run_specs(STEPS, folder).items():
        assert spec_passed(result), "step {} rejects '{}':\n{}".format(
            number, alternative.about, failures(result))
