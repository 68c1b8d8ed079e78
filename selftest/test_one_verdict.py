#!/usr/bin/env python3
"""A step has one verdict, whether pytest or the checker runs it.

``pytest tests/test_NN_*.py`` runs the step's file and style checks as
items beside its tests (kata/judge/pytest_style.py). On the solution, on a
starter workspace and on a solution with style defects (a missing module
docstring, auth.py not executable, app.py importing DB, a helper
module without docstring), each step's pytest run must be green exactly
when the checker passes the step, fail the same checks with the same
messages, and count as many checks; the checker's judges must not run the
style items themselves. Neither leaves a trace in the submission folder.
"""
import hashlib
import os
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from helpers import ISOLATE, Outcome, checker_outcomes, pytest_outcomes
from kata.catalogue.steps import SOLUTION_DIR, STEPS
from kata.grading import grader
from kata.student import workspace
from kata.verdict import model

# Every step: one pytest session per submission runs all the specs.
STEP_NUMBERS = tuple(step.number for step in STEPS)
SUBMISSIONS = ("solution", "starter", "style-defects")


def make_submission(kind: str, folder: Path) -> Path:
    """Return the folder of one of the SUBMISSIONS, made under folder."""
    if kind == "solution":
        return SOLUTION_DIR
    target = folder / kind
    if kind == "starter":
        workspace.init(target)
        return target
    shutil.copytree(str(SOLUTION_DIR), str(target))
    user = (target / "user.py").read_text().splitlines(True)
    (target / "user.py").write_text("".join(user[:1] + user[2:]))
    auth = (target / "auth.py").read_text()
    (target / "auth.py").write_text(auth.replace(
        "import uuid\n", "import uuid\n\nimport wrappers\n", 1))
    os.chmod(str(target / "auth.py"), 0o644)
    (target / "wrappers.py").write_text("#!/usr/bin/env python3\n"
                                        "VALUE = 1\n")
    os.chmod(str(target / "wrappers.py"), 0o755)
    app = (target / "app.py").read_text()
    (target / "app.py").write_text(app.replace(
        "from auth import Auth\n", "from auth import Auth\nfrom db import DB"
        "\n\nSTORE = DB\n", 1))
    return target


def fingerprint(folder: Path) -> Dict[str, Tuple[int, int, str]]:
    """Return each file's mode, modification time and content hash."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() \
            if path.is_file() else ""
        found[str(path.relative_to(folder))] = (info.st_mode,
                                                info.st_mtime_ns, digest)
    return found


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory,
             ) -> Dict[str, Tuple[Dict[int, Dict[str, Outcome]],
                                  List[model.TaskResult]]]:
    """Grade each submission both ways, checking that it stays untouched."""
    folder = tmp_path_factory.mktemp("one-verdict")
    steps = [step for step in STEPS if step.number in STEP_NUMBERS]
    found = {}
    for kind in SUBMISSIONS:
        submission = make_submission(kind, folder)
        before = fingerprint(submission)
        outcomes = pytest_outcomes(submission, folder / (kind + ".xml"),
                                   STEP_NUMBERS)
        grade = grader.grade(submission, steps, isolate=ISOLATE)
        assert fingerprint(submission) == before, kind
        found[kind] = (outcomes, grade.tasks)
    return found


@pytest.mark.parametrize("kind", SUBMISSIONS)
def test_pytest_and_the_checker_agree(
        kind: str, verdicts: Dict[str, Tuple[Dict[int, Dict[str, Outcome]],
                                             List[model.TaskResult]]],
) -> None:
    """Same verdict, same checks, same failures and messages per step."""
    outcomes, tasks = verdicts[kind]
    assert sorted(outcomes) == list(STEP_NUMBERS)
    for task in tasks:
        items = outcomes[task.step.number]
        green = all(passed for passed, _ in items.values())
        checker = checker_outcomes(task)
        assert green == task.integrated_passed == task.passed, (
            kind, task.step.number, items, checker)
        assert len(items) == len(task.checks), (kind, task.step.number)
        ruled = {name: outcome for name, outcome in checker.items()
                 if name.startswith(("files[", "style["))}
        assert {name: items.get(name) for name in ruled} == ruled, (
            kind, task.step.number)
        failed_tests = sorted(name for name, (passed, _) in items.items()
                              if not passed)
        assert failed_tests == sorted(
            name for name, (passed, _) in checker.items() if not passed), (
            kind, task.step.number)


def test_the_cases_cover_both_verdicts_and_each_kind_of_failure(
        verdicts: Dict[str, Tuple[Dict[int, Dict[str, Outcome]],
                                  List[model.TaskResult]]]) -> None:
    """Green and red steps, spec and style failures, helpers, all occur."""
    failed = {(kind, task.step.number): [
        check.name for check in task.checks if not check.passed]
        for kind, (_, tasks) in verdicts.items() for task in tasks}
    assert all(not names for (kind, _), names in failed.items()
               if kind == "solution")
    assert all(names for (kind, _), names in failed.items()
               if kind == "starter")
    defects = [name.split(":")[0] for (kind, _), names in failed.items()
               if kind == "style-defects" for name in names]
    assert sorted(set(defects)) == ["app.py G7", "auth.py G3", "user.py G5",
                                    "wrappers.py G5"]
    outcomes = verdicts["style-defects"][0]
    assert outcomes[0]["style[user.py G5]"] == (
        False, "user.py: the module has no docstring (G5); see "
        "steps/STYLE.md#g5")


def test_the_judges_leave_the_style_items_out() -> None:
    """A checker's spec run reports the spec's tests and nothing else."""
    step = STEPS[0]
    results = grader.spec_results(SOLUTION_DIR, [step], isolate=ISOLATE)
    names = [check.name for check in results[0].checks]
    assert names and all(name.startswith("test_") for name in names), names
