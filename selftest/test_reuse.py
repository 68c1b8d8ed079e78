#!/usr/bin/env python3
"""Which verdicts a save leaves standing in watch (kata/student/reuse.py).

A step's verdict may be shown again only while nothing it is read from
changed: its files and those of the steps before it, the modules they
import, the folder's list of modules, and their modes. Each test changes
one thing and looks at which steps keep their fingerprint.
"""
import os
import shutil
import stat
import threading
from pathlib import Path
from typing import Dict, List

import pytest

from kata.catalogue.steps import REPO_ROOT, STEPS, step
from kata.student.reuse import FolderState, KeptVerdicts, step_list
from kata.verdict.model import Check, TaskResult

# Only a safety net for a read that would never end; no speed is asserted.
SAFETY_SECONDS = 600


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Return a copy of the reference solution."""
    copy = tmp_path / "submission"
    shutil.copytree(str(REPO_ROOT / "solution"), str(copy))
    return copy


def prints(folder: Path) -> Dict[int, str]:
    """Return every step's fingerprint now."""
    state = FolderState(folder)
    return {each.number: state.fingerprint(each) for each in STEPS}


def changed(before: Dict[int, str], after: Dict[int, str]) -> List[int]:
    """Return the steps whose fingerprints differ."""
    return [number for number in before if before[number] != after[number]]


def test_a_step_depends_on_its_files_and_those_before_it(
        folder: Path) -> None:
    """Step 00 reads user.py and the README; step 05 auth.py and db.py too."""
    state = FolderState(folder)
    assert state.dependencies(step(0)) == ["README.md", "user.py"]
    assert state.dependencies(step(5)) == ["README.md", "auth.py", "db.py",
                                           "user.py"]
    assert "main.py" in state.dependencies(step(20))
    assert "app.py" not in state.dependencies(step(5))


def test_an_edit_changes_the_steps_that_read_it_and_no_other(
        folder: Path) -> None:
    """app.py is read from step 06 on; main.py by step 20 alone."""
    before = prints(folder)
    with open(str(folder / "app.py"), "a") as app:
        app.write("# a comment\n")
    after = prints(folder)
    assert changed(before, after) == list(range(6, 21))
    with open(str(folder / "main.py"), "a") as main:
        main.write("# a comment\n")
    assert changed(after, prints(folder)) == [20]


def test_an_edit_of_user_py_changes_every_step(folder: Path) -> None:
    """Every step's code is built on the User model."""
    before = prints(folder)
    with open(str(folder / "user.py"), "a") as user:
        user.write("# a comment\n")
    assert changed(before, prints(folder)) == list(range(21))


def test_a_mode_change_counts(folder: Path) -> None:
    """chmod -x of db.py (rule G3) changes the steps from 01 on."""
    before = prints(folder)
    db = folder / "db.py"
    os.chmod(str(db), stat.S_IMODE(db.stat().st_mode) & ~0o111)
    assert changed(before, prints(folder)) == list(range(1, 21))


def test_an_imported_helper_is_read_by_the_steps_that_import_it(
        folder: Path) -> None:
    """A helper that db.py imports is read from step 01 on, not by 00."""
    (folder / "helpers.py").write_text('"""Helpers."""\n')
    db = folder / "db.py"
    db.write_text("import helpers\n" + db.read_text())
    state = FolderState(folder)
    assert "helpers.py" in state.dependencies(step(1))
    assert "helpers.py" not in state.dependencies(step(0))
    before = prints(folder)
    (folder / "helpers.py").write_text('"""Helpers, changed."""\n')
    assert changed(before, prints(folder)) == list(range(1, 21))


def test_a_new_module_changes_every_step(folder: Path) -> None:
    """A new module may shadow a library that any step imports."""
    before = prints(folder)
    (folder / "sqlalchemy.py").write_text("")
    assert changed(before, prints(folder)) == list(range(21))


def test_a_file_that_does_not_parse_still_counts(folder: Path) -> None:
    """Its content is still read; its imports, unknown, changed for all."""
    before = prints(folder)
    auth = folder / "auth.py"
    right = auth.read_text()
    auth.write_text("def broken(:\n")
    broken = prints(folder)
    assert changed(before, broken) == list(range(21))
    auth.write_text(right.replace("import bcrypt", "import bcrypt\n("))
    assert changed(broken, prints(folder)) == list(range(4, 21))


def task(number: int, passed: bool = True,
         timed_out: bool = False) -> TaskResult:
    """Return a graded task of one step."""
    return TaskResult(step(number), [Check("test_it", "spec", passed)],
                      timed_out=timed_out)


def test_a_kept_verdict_stands_until_its_files_change(folder: Path) -> None:
    """Steps 00-03 keep theirs through an edit of app.py, not of db.py."""
    kept = KeptVerdicts(folder)
    steps = STEPS[:8]
    before = kept.fingerprints(steps)
    graded = [task(each.number) for each in steps]
    kept.keep(graded, before)
    assert kept.standing(steps) == {
        each.number: graded[each.number] for each in steps}
    with open(str(folder / "app.py"), "a") as app:
        app.write("# a comment\n")
    assert sorted(kept.standing(steps)) == list(range(6))
    with open(str(folder / "db.py"), "a") as db:
        db.write("# a comment\n")
    assert sorted(kept.standing(steps)) == [0]


def test_a_timed_out_verdict_is_not_kept(folder: Path) -> None:
    """A busy machine's verdict is graded again, whatever changed."""
    kept = KeptVerdicts(folder)
    steps = STEPS[:2]
    kept.keep([task(0), task(1, False, timed_out=True)],
              kept.fingerprints(steps))
    assert sorted(kept.standing(steps)) == [0]


def test_a_grading_during_which_a_file_changed_keeps_nothing_of_it(
        folder: Path) -> None:
    """The files graded may not be the ones found after the grading."""
    kept = KeptVerdicts(folder)
    steps = STEPS[:3]
    before = kept.fingerprints(steps)
    with open(str(folder / "db.py"), "a") as db:
        db.write("# saved while grading\n")
    kept.keep([task(each.number) for each in steps], before)
    assert sorted(kept.standing(steps)) == [0]


def test_step_lists_read_as_words() -> None:
    """Runs of steps are ranges; the last part is joined with "and"."""
    assert step_list([4]) == "step 04"
    assert step_list([1, 2]) == "steps 01-02"
    assert step_list([0, 1, 2, 3, 5]) == "steps 00-03 and 05"
    assert step_list([9, 1, 3, 7, 8]) == "steps 01, 03 and 07-09"


def test_a_changed_import_anywhere_changes_every_step(folder: Path) -> None:
    """The grading copies at most 20 extra modules, in the imports' order.

    So a module main.py starts importing may push out one that db.py
    needs: every step is graded again.
    """
    (folder / "helpers.py").write_text('"""Helpers."""\n')
    before = prints(folder)
    main = folder / "main.py"
    main.write_text("import helpers\n" + main.read_text())
    assert changed(before, prints(folder)) == list(range(21))


def test_every_step_owns_code_only_in_the_files_it_depends_on() -> None:
    """A style problem is charged to the step owning its code.

    The fingerprint counts the files of a step and of those before it,
    so the code a step owns must be in them.
    """
    for each in STEPS:
        stack = {name for earlier in STEPS[:each.number + 1]
                 for name in earlier.files}
        for owned in (*each.solution, *each.owns):
            assert owned.split(":", 1)[0] in stack, (each.number, owned)


def test_a_fifo_or_an_endless_link_is_not_read(folder: Path) -> None:
    """watch reads the student's folder itself: nothing there may stall it.

    db.py as a FIFO nobody writes to, and app.py as a link to /dev/zero,
    are not opened for their content (the grading refuses both, whatever
    a link leads to), yet the link becoming a file counts.
    """
    (folder / "db.py").unlink()
    os.mkfifo(str(folder / "db.py"))
    (folder / "app.py").unlink()
    (folder / "app.py").symlink_to("/dev/zero")
    found: List[Dict[int, str]] = []
    worker = threading.Thread(target=lambda: found.append(prints(folder)),
                              daemon=True)
    worker.start()
    worker.join(SAFETY_SECONDS)
    assert found, "fingerprinting the folder never ended"
    (folder / "app.py").unlink()
    (folder / "app.py").write_text("")
    assert changed(found[0], prints(folder)) == list(range(6, 21))
