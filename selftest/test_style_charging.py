#!/usr/bin/env python3
"""A style problem fails one step: the step that owns the line it is on.

Most cases judge style alone (snapshot, style problems, each step's style
checks), which runs no code; one grades a whole submission to see that a
single long line costs one task, and one runs the pytest items. The owners
of lines come from kata/reading/ownership.py, tested on plain text at the end.
"""
import shutil
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from kata.catalogue.steps import SOLUTION_DIR, STEPS
from kata.grading import grader
from kata.judge import pytest_style
from kata.reading import ownership
from kata.verdict import checks, intake

# The anchors of the edits below, all in the reference solution.
RESET_TOKEN = "        token = _generate_uuid()\n"
VALID_LOGIN = "    def valid_login("
CREATE_SESSION = "    def create_session("
HELPER_MODULE = ('#!/usr/bin/env python3\n'
                 'def greeting() -> str:\n'
                 '    return "Bienvenue"\n')
Edit = Tuple[str, str, str]


def submission(folder: Path, edits: Sequence[Edit]) -> Path:
    """Return a copy of the solution with each (file, old, new) made once."""
    target = folder / "submission"
    shutil.copytree(str(SOLUTION_DIR), str(target))
    for name, old, new in edits:
        path = target / name
        text = path.read_text()
        assert text.count(old) >= 1, (name, old)
        path.write_text(text.replace(old, new, 1))
    return target


def style_failures(folder: Path) -> Dict[int, List[str]]:
    """Return each step's failing style checks, with their messages.

    Only the steps with a failing style check are in the result.
    """
    copy = folder.parent / "copy"
    intake.snapshot(folder, copy)
    problems = checks.style_problems(copy, STEPS, 2)
    found = {}
    for step in STEPS:
        failed = ["{} {}".format(check.name, check.message)
                  for check in checks.style_checks(step, copy, problems)
                  if not check.passed]
        if failed:
            found[step.number] = failed
    return found


def long_line_in_step_16(tmp_path: Path) -> Path:
    """Return the solution with one 96-character line in step 16's method."""
    return submission(tmp_path, [("auth.py", RESET_TOKEN, RESET_TOKEN[:-1] +
                                  "  # " + "x" * 64 + "\n")])


def test_one_long_line_in_step_16s_method_fails_task_16_alone(
        tmp_path: Path) -> None:
    """The whole grading: 20 tasks pass, and task 16 fails on style only."""
    grade = grader.grade(long_line_in_step_16(tmp_path), STEPS)
    failed = {task.step.number: [check for check in task.checks
                                 if not check.passed]
              for task in grade.tasks if not task.passed}
    assert list(failed) == [16], {number: [check.name for check in checks]
                                  for number, checks in failed.items()}
    assert [check.name for check in failed[16]] == [
        "auth.py G4: pycodestyle 2.5 passes"]
    assert "E501" in failed[16][0].message
    task = grade.tasks[16]
    assert task.kind_passed("spec") and task.kind_passed("files")
    # Every auth.py task keeps its auth.py G4 check, passing or not.
    for other in grade.tasks:
        names = [check.name for check in other.checks]
        assert ("auth.py G4: pycodestyle 2.5 passes" in names) == \
            ("auth.py" in other.step.files)


def test_the_pytest_items_charge_the_same_way(tmp_path: Path) -> None:
    """A plain pytest run shows the long line in step 16's file alone."""
    verdicts = pytest_style.judge(long_line_in_step_16(tmp_path))
    failed = {number: [name for name, check in found if not check.passed]
              for number, found in verdicts.items()}
    assert {number: names for number, names in failed.items() if names} \
        == {16: ["style[auth.py G4]"]}


def test_three_blank_lines_before_valid_login_charge_step_08(
        tmp_path: Path) -> None:
    """pycodestyle reports E303 on the def line: step 08's, not step 04's."""
    folder = submission(tmp_path, [("auth.py", VALID_LOGIN,
                                    "\n\n" + VALID_LOGIN)])
    failures = style_failures(folder)
    assert list(failures) == [8], failures
    assert "E303" in failures[8][0]


def test_a_long_import_line_charges_the_module_level_step_04(
        tmp_path: Path) -> None:
    """An import is outside every definition: auth.py's module level."""
    folder = submission(tmp_path, [(
        "auth.py", "from typing import Optional, Union\n",
        "from typing import Optional, Union, Dict, List, Tuple, Set, "
        "FrozenSet, Sequence, Mapping\n")])
    failures = style_failures(folder)
    assert list(failures) == [4], failures
    assert "E501" in failures[4][0]


def test_a_helper_function_goes_to_the_step_whose_code_uses_it(
        tmp_path: Path) -> None:
    """A function of the student's own, used by step 10's method only."""
    folder = submission(tmp_path, [
        ("auth.py", "class Auth:\n",
         "def _lookup(db: DB, email: str) -> User:\n"
         "    return db.find_user_by(email=email)\n\n\n"
         "class Auth:\n"),
        ("auth.py", "            user = self._db.find_user_by(email=email)\n"
         "        except NoResultFound:\n            return None\n",
         "            user = _lookup(self._db, email)\n"
         "        except NoResultFound:\n            return None\n")])
    failures = style_failures(folder)
    assert list(failures) == [10], failures
    assert "function _lookup has no docstring" in failures[10][0]


def test_a_helper_method_goes_to_the_earliest_step_that_calls_it(
        tmp_path: Path) -> None:
    """Called by steps 10 and 16 through self: step 10 answers for it.

    A helper used only by that helper goes with it.
    """
    helpers = ("    def _find(self, email: str) -> User:\n"
               "        return self._db.find_user_by(email=_same(email))\n\n"
               + CREATE_SESSION)
    folder = submission(tmp_path, [
        ("auth.py", "class Auth:\n",
         "def _same(email: str) -> str:\n    return email\n\n\n"
         "class Auth:\n"),
        ("auth.py", CREATE_SESSION, helpers),
        ("auth.py", "            user = self._db.find_user_by(email=email)\n"
         "        except NoResultFound:\n            return None\n",
         "            user = self._find(email)\n"
         "        except NoResultFound:\n            return None\n"),
        ("auth.py", "            user = self._db.find_user_by(email=email)\n"
         "        except NoResultFound:\n            raise",
         "            user = self._find(email)\n"
         "        except NoResultFound:\n            raise")])
    failures = style_failures(folder)
    assert list(failures) == [10], failures
    assert "method Auth._find has no docstring" in failures[10][0]
    assert "function _same has no docstring" in failures[10][0]


def test_an_unused_helper_goes_to_the_module_level(tmp_path: Path) -> None:
    """No owned definition uses it: auth.py's module level answers."""
    folder = submission(tmp_path, [("auth.py", "class Auth:\n",
                                    "def _spare() -> None:\n    pass\n\n\n"
                                    "class Auth:\n")])
    assert list(style_failures(folder)) == [4]


def test_a_helper_module_is_charged_once_to_the_importing_line(
        tmp_path: Path) -> None:
    """wrappers.py without docstrings fails the step of its import only.

    Imported at app.py's module level: step 06, not the other eight app.py
    steps; imported inside step 11's view: step 11; imported by auth.py's
    module level too: step 04, the earliest.
    """
    at_module_level = ("app.py", "from auth import Auth\n",
                       "from auth import Auth\nfrom wrappers import "
                       "greeting\n")
    in_a_view = ("app.py", '    email = request.form["email"]\n    if not',
                 '    from wrappers import greeting\n'
                 '    email = request.form["email"] + greeting()[:0]\n'
                 '    if not')
    by_auth = ("auth.py", "import bcrypt\n", "import bcrypt\nimport "
               "wrappers\n")
    for case, (edits, owner) in enumerate([([at_module_level], 6),
                                           ([in_a_view], 11),
                                           ([at_module_level, by_auth], 4)]):
        folder = submission(tmp_path / str(case), edits)
        (folder / "wrappers.py").write_text(HELPER_MODULE)
        (folder / "wrappers.py").chmod(0o755)
        failures = style_failures(folder)
        assert list(failures) == [owner], (case, failures)
        assert all(failure.startswith("wrappers.py G5")
                   for failure in failures[owner]), failures


def test_a_syntax_error_in_step_08s_method_fails_step_08_alone(
        tmp_path: Path) -> None:
    """The file does not parse; its other steps get no style failure."""
    folder = submission(tmp_path, [("auth.py", "            return False\n",
                                    "            return False)\n")])
    line = (folder / "auth.py").read_text().splitlines().index(
        "            return False)") + 1
    failures = style_failures(folder)
    assert list(failures) == [8], failures
    assert any(failure.startswith("auth.py G10") and
               "auth.py:{}:".format(line) in failure
               for failure in failures[8]), failures


def test_whole_file_problems_go_to_the_module_level(tmp_path: Path) -> None:
    """No final newline (G2, W292) and no x bit (G3) in auth.py: step 04.

    The file ends inside step 18's method, which does not answer for it.
    """
    folder = submission(tmp_path, [])
    auth = folder / "auth.py"
    auth.write_text(auth.read_text().rstrip("\n"))
    auth.chmod(0o644)
    failures = style_failures(folder)
    assert list(failures) == [4], failures
    assert sorted(failure.split(":")[0] for failure in failures[4]) == [
        "auth.py G2", "auth.py G3", "auth.py G4"]


def test_a_renamed_view_is_charged_by_its_route(tmp_path: Path) -> None:
    """The /profile view under another name, without docstring: step 15."""
    folder = submission(tmp_path, [(
        "app.py", 'def profile() -> Response:\n'
        '    """Show the email of the logged-in user."""\n',
        "def show_profile() -> Response:\n")])
    failures = style_failures(folder)
    assert list(failures) == [15], failures
    assert "function show_profile has no docstring" in failures[15][0]


def test_problems_past_the_cap_stay_with_their_step(tmp_path: Path) -> None:
    """60 long lines in step 16's method: the ones not shown count there."""
    comments = "".join("        # {} {}\n".format(index, "y" * 80)
                       for index in range(60))
    folder = submission(tmp_path, [("auth.py", RESET_TOKEN,
                                    comments + RESET_TOKEN)])
    failures = style_failures(folder)
    assert list(failures) == [16], failures
    # 50 problems shown, then one for the other 10, whose place is unknown.
    assert "and 46 more" in failures[16][0]


def test_readme_problems_go_to_step_00(tmp_path: Path) -> None:
    """An empty README.md fails step 00's G9 check."""
    folder = submission(tmp_path, [])
    (folder / "README.md").write_text("  \n")
    failures = style_failures(folder)
    assert list(failures) == [0], failures
    assert failures[0][0].startswith("README.md G9")


# -- kata/reading/ownership.py on plain text
# ----------------------------------------

OWNED = '''#!/usr/bin/env python3
"""A module."""
import os


def _hash_password(password: str) -> bytes:
    def inner() -> None:
        pass
    return b""


class Auth:
    # What register_user does.
    def register_user(self) -> None:
        pass

    def _unused(self) -> None:
        pass
'''


def test_a_line_goes_to_its_innermost_owned_definition() -> None:
    """Nested code, comments above a method, class and module lines."""
    owners = ownership.FileOwners("auth.py", OWNED)
    lines = OWNED.splitlines()
    assert [owners.step_at(number) for number in range(
        1, len(lines) + 1)] == [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
                                4, 5, 5, 5, 4, 4, 4]
    assert owners.step_at(0) == 4


def test_a_file_that_does_not_parse_is_outlined_by_indentation() -> None:
    """The owners of a broken file follow its def and class lines."""
    broken = OWNED.replace("        pass\n\n    def _unused",
                           "        pass)\n\n    def _unused")
    owners = ownership.FileOwners("auth.py", broken)
    assert [owners.step_at(number) for number in (3, 7, 8, 12, 13, 14, 15,
                                                  17)] == \
        [4, 4, 4, 4, 5, 5, 5, 4]


def test_module_owners_follow_the_list_of_steps() -> None:
    """<module> entries, whole files, and the first step of README.md."""
    assert [ownership.module_owner(name) for name in (
        "user.py", "db.py", "auth.py", "app.py", "main.py",
        "README.md")] == [0, 1, 4, 6, 20, 0]
    assert ownership.module_owner("wrappers.py") is None
    assert ownership.owned_definitions("app.py")["AUTH"] == 7


def test_a_chain_of_helpers_goes_to_the_step_at_its_head() -> None:
    """Helpers calling helpers, 300 deep, parsed or not: all step 08's."""
    chain = "".join("def _a{}() -> None:\n    _a{}()\n\n\n".format(
        index, index + 1) for index in range(300))
    text = ("class Auth:\n    def valid_login(self) -> None:\n"
            "        _a0()\n\n\n" + chain)
    for source in (text, text + "broken = (\n"):
        owners = ownership.FileOwners("auth.py", source)
        assert [owners.step_at(line) for line in (1, 3, 6, 7, 1202,
                                                  1203)] == \
            [4, 8, 8, 8, 8, 8]


def test_deep_nesting_is_outlined() -> None:
    """More levels than Python parses: the broken file is still outlined."""
    text = "".join("{}def nested{}() -> None:\n".format(" " * depth, depth)
                   for depth in range(400))
    owners = ownership.FileOwners("auth.py", text)
    assert owners.broken_at is not None
    assert owners.step_at(400) == 4
