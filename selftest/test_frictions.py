#!/usr/bin/env python3
"""A student's mistakes read the same in the checker as in pytest.

Each workspace here is one friction a new student met: an untouched
starter, a missing import, a typo in a greeting, two bugs in two steps, a
view of the student's own name, a long line or blank lines in one step's
method, a syntax error. For each, the checker's checks, messages and counts
of the graded steps are pytest's on the same code; no message names a line
the student's file does not have; a style slip fails the step whose code
holds it, and no other.
"""
import re
import shutil
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

from helpers import ISOLATE, checker_outcomes, pytest_outcomes
from kata.catalogue.steps import SOLUTION_DIR, STEPS
from kata.grading import grader
from kata.reports import report
from kata.student import workspace
from kata.verdict import model

PLACE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*\.py):(\d+)\b")
STARTER_AUTH_WITH_HASH = '''#!/usr/bin/env python3
"""Authentication: password hashing, sessions and reset tokens over DB."""
import bcrypt

from db import DB


def _hash_password(password: str) -> bytes:
    """Return a salted hash of the password."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt())


class Auth:
    """The service's only door to the user database."""

    def __init__(self) -> None:
        """Create the database this object works on."""
        self._db = DB()
'''
FIRST_APP = '''#!/usr/bin/env python3
"""The service's HTTP end-points."""
from flask import Flask, Response, jsonify

app = Flask(__name__)


@app.route("/", methods=["GET"])
def index() -> Response:
    """Greet the visitor."""
    return jsonify({"message": "Bienvenu"})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
'''


def edited(folder: Path, name: str, old: str, new: str) -> None:
    """Replace old, found exactly once, by new in one file of folder."""
    text = (folder / name).read_text()
    assert text.count(old) == 1, old
    (folder / name).write_text(text.replace(old, new))


def untouched_starter(folder: Path) -> None:
    """Leave the starter as init writes it."""


def hash_without_user_import(folder: Path) -> None:
    """Write step 04 on the starter, importing only what it uses."""
    (folder / "auth.py").write_text(STARTER_AUTH_WITH_HASH)


def greeting_typo(folder: Path) -> None:
    """Write a first app.py with a typo in its greeting."""
    (folder / "app.py").write_text(FIRST_APP)
    (folder / "app.py").chmod(0o755)


def two_bugs(folder: Path) -> None:
    """Give step 04 a fixed salt and step 05 another message."""
    edited(folder, "auth.py", "bcrypt.gensalt())",
           'b"$2b$04$" + b"a" * 22)')
    edited(folder, "auth.py", '"User {} already exists"', '"User {} exists"')


def renamed_view(folder: Path) -> None:
    """Name the POST /reset_password view reset_password."""
    edited(folder, "app.py", "def get_reset_password_token()",
           "def reset_password()")


def long_line_in_step_16(folder: Path) -> None:
    """Make one line of step 16's method longer than 79 characters."""
    edited(folder, "auth.py", "        token = _generate_uuid()\n",
           "        token = _generate_uuid()  # a fresh one for every "
           "request, never reused.\n")


def blank_lines_before_step_08(folder: Path) -> None:
    """Put three blank lines before step 08's method."""
    edited(folder, "auth.py", "\n    def valid_login(",
           "\n\n\n    def valid_login(")


def syntax_error_in_step_08(folder: Path) -> None:
    """Leave a colon out in step 08's method."""
    edited(folder, "auth.py", "        except NoResultFound:\n"
           "            return False\n",
           "        except NoResultFound\n            return False\n")


# name: (starting point, the mistake, the steps graded)
FRICTIONS: Dict[str, Tuple[int, Callable[[Path], None], Tuple[int, ...]]] = {
    "untouched-starter": (0, untouched_starter, (0, 1, 2, 4)),
    "hash-without-user-import": (0, hash_without_user_import, (4, 5)),
    "greeting-typo": (6, greeting_typo, (6, 7)),
    "two-bugs": (21, two_bugs, (4, 5, 8)),
    "renamed-view": (21, renamed_view, (17,)),
    "long-line-in-step-16": (21, long_line_in_step_16, (4, 9, 16)),
    "blank-lines-before-step-08": (21, blank_lines_before_step_08,
                                   (4, 5, 8)),
    "syntax-error-in-step-08": (21, syntax_error_in_step_08, (4, 5, 8, 10)),
}


def make(name: str, folder: Path) -> Path:
    """Build the workspace of one friction under folder."""
    start, mistake, _ = FRICTIONS[name]
    target = folder / name
    if start > 20:
        shutil.copytree(str(SOLUTION_DIR), str(target))
    else:
        workspace.init(target, at_step=start)
    mistake(target)
    return target


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory
           ) -> Dict[str, Tuple[Path, model.Grade, Dict]]:
    """Grade every friction's steps with the checker and with pytest."""
    folder = tmp_path_factory.mktemp("frictions")
    found = {}
    for name, (_, _, numbers) in FRICTIONS.items():
        submission = make(name, folder)
        steps = [item for item in STEPS if item.number in numbers]
        grade = grader.grade(submission, steps, isolate=ISOLATE)
        outcomes = pytest_outcomes(submission, folder / (name + ".xml"),
                                   numbers)
        found[name] = (submission, grade, outcomes)
    return found


@pytest.mark.parametrize("name", sorted(FRICTIONS))
def test_the_checker_reads_as_pytest(
        name: str, graded: Dict[str, Tuple[Path, model.Grade, Dict]]
) -> None:
    """Each graded step shows pytest's checks, messages and counts."""
    _, grade, outcomes = graded[name]
    for task in grade.tasks:
        assert checker_outcomes(task) == outcomes[task.step.number], (
            "step {}".format(task.step.number))
        if not task.passed:
            failed = sum(not check.passed for check in task.stack_checks)
            passed, total = report.shown_counts(task)
            assert total - passed == failed
            assert total == len(outcomes[task.step.number])


@pytest.mark.parametrize("name", sorted(FRICTIONS))
def test_no_message_names_a_line_the_student_lacks(
        name: str, graded: Dict[str, Tuple[Path, model.Grade, Dict]]
) -> None:
    """Every place in the report is a line of the student's file."""
    submission, grade, _ = graded[name]
    text = report.to_text(grade)
    for file_name, line in PLACE.findall(text):
        path = submission / file_name
        if path.is_file():
            lines = len(path.read_text().splitlines())
            assert int(line) <= lines, "{}:{} in\n{}".format(
                file_name, line, text)
    assert "is not defined" not in text, text


def failing(grade: model.Grade) -> List[int]:
    """Return the numbers of the tasks that fail."""
    return [task.step.number for task in grade.tasks if not task.passed]


def test_each_bug_is_charged_once(
        graded: Dict[str, Tuple[Path, model.Grade, Dict]]) -> None:
    """A bug or a style slip fails the step whose code holds it."""
    assert failing(graded["two-bugs"][1]) == [4, 5]
    assert failing(graded["renamed-view"][1]) == []
    assert failing(graded["long-line-in-step-16"][1]) == [16]
    assert failing(graded["blank-lines-before-step-08"][1]) == [8]
    assert 8 in failing(graded["syntax-error-in-step-08"][1])


def test_a_later_step_names_the_real_bug(
        graded: Dict[str, Tuple[Path, model.Grade, Dict]]) -> None:
    """The note of a blocked step names the earlier step's own failure."""
    grade = graded["two-bugs"][1]
    eight = next(task for task in grade.tasks if task.step.number == 8)
    assert eight.passed and eight.blocked_by == 4, eight.note
    assert "Invalid salt" in eight.note or "salt" in eight.note, eight.note
    text = report.to_text(grade)
    assert "it says 'User me@example.com exists'" in text, text
    for task in graded["syntax-error-in-step-08"][1].tasks:
        if task.step.number == 8:
            assert not task.passed
            continue
        assert task.passed and task.blocked_by == 8, task.note
        assert "pycodestyle" not in task.note, task.note
        assert "parse" in task.note, task.note
