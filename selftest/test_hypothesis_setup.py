#!/usr/bin/env python3
"""Hypothesis in the specs: the same examples every run, and no litter.

A student who runs a spec twice sees the same failing example; a seed
given on the command line still draws other examples (the seeded runs of
test_specs.py rely on it); and no .hypothesis/ folder appears where pytest
or the checker is run, nor in the repository.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from kata.catalogue.steps import REPO_ROOT, SOLUTION_DIR

SPEC = REPO_ROOT / "tests" / "test_08_credentials_validation.py"
PROPERTY = "::test_register_then_login_property"
# Wrong only for passwords of more than 5 characters: the failing example
# is a random one, not the simplest that hypothesis tries first.
WRONG_FOR_LONG = ('        return bcrypt.checkpw(password.encode("utf-8"),',
                  '        if len(password) > 5:\n'
                  '            return False\n'
                  '        return bcrypt.checkpw(password.encode("utf-8"),')


def environment() -> Dict[str, str]:
    """Return the environment of a run that chooses no hypothesis folder."""
    env = dict(os.environ)
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    env["COLUMNS"] = "2000"
    return env


def run(command: Sequence[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a command from cwd."""
    return subprocess.run(list(command), cwd=str(cwd), env=environment(),
                          capture_output=True, text=True)


def failing_lines(output: str) -> List[str]:
    """Return the FAILED lines of pytest's summary."""
    return [line for line in output.splitlines()
            if line.startswith("FAILED")]


@pytest.fixture(scope="module")
def wrong_for_long(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Give the solution with a valid_login wrong for long passwords."""
    folder = tmp_path_factory.mktemp("wrong-for-long")
    for item in SOLUTION_DIR.iterdir():
        if item.is_file():
            shutil.copy2(str(item), str(folder / item.name))
    auth = folder / "auth.py"
    old, new = WRONG_FOR_LONG
    assert auth.read_text().count(old) == 1
    auth.write_text(auth.read_text().replace(old, new))
    return folder


def spec_failures(folder: Path, cwd: Path, *extra: str) -> List[str]:
    """Return the failures of the property of step 08 on folder's code."""
    result = run([sys.executable, "-m", "pytest", str(SPEC) + PROPERTY,
                  "--impl",
                  str(folder), "--unisolated", "-q", "-rf", *extra], cwd)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    return failing_lines(result.stdout)


@pytest.fixture(scope="module")
def unseeded(wrong_for_long: Path,
             tmp_path_factory: pytest.TempPathFactory) -> List[str]:
    """Return the failures of one run without a seed."""
    return spec_failures(wrong_for_long, tmp_path_factory.mktemp("run"))


def test_the_same_examples_every_run(wrong_for_long: Path, tmp_path: Path,
                                     unseeded: List[str]) -> None:
    """Two runs of a failing property report the same failing example."""
    assert unseeded and "failing example" in unseeded[0]
    assert spec_failures(wrong_for_long, tmp_path) == unseeded


def test_a_given_seed_draws_other_examples(wrong_for_long: Path,
                                           tmp_path: Path,
                                           unseeded: List[str]) -> None:
    """--hypothesis-seed is honoured, so seeded runs try other inputs."""
    seeded = [spec_failures(wrong_for_long, tmp_path,
                            "--hypothesis-seed={}".format(seed))
              for seed in (1, 2)]
    assert seeded[0] != seeded[1]
    assert unseeded not in seeded


def test_pytest_leaves_no_hypothesis_folder(tmp_path: Path) -> None:
    """A spec run from another folder writes no .hypothesis/ anywhere."""
    in_repo = (REPO_ROOT / ".hypothesis").exists()
    result = run([sys.executable, "-m", "pytest", str(SPEC), "--impl",
                  str(SOLUTION_DIR), "--unisolated", "-q"], tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert not (tmp_path / ".hypothesis").exists()
    assert in_repo or not (REPO_ROOT / ".hypothesis").exists()


def test_checker_leaves_no_hypothesis_folder(tmp_path: Path) -> None:
    """Grading a step from another folder writes no .hypothesis/ either."""
    in_repo = (REPO_ROOT / ".hypothesis").exists()
    result = run([str(REPO_ROOT / "checker.sh"), "grade", str(SOLUTION_DIR),
                  "--step", "8"], tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert not (tmp_path / ".hypothesis").exists()
    assert in_repo or not (REPO_ROOT / ".hypothesis").exists()
