#!/usr/bin/env python3
"""Modules of a submission's own that its exercise files import.

Such a module (wrappers.py next to app.py, say) is part of the
submission: it is copied with the exercise files, checked under G1-G6 with
the tasks whose files import it, and listed in the reports. A file of the
folder that nothing imports is neither copied nor checked.
"""
import json
import os
from pathlib import Path
from typing import Dict, List

import pytest

from kata.catalogue import overlays
from kata.catalogue.steps import STEPS, step
from kata.grading import grader
from kata.reports import report
from kata.verdict import checks, intake, model

HELPER = "app-imports-a-helper-module"
UNDOCUMENTED = '''#!/usr/bin/env python3
from auth import Auth

AUTH = Auth()


def service() -> Auth:
    return AUTH
'''
SCRATCH = "print('not part of the submission')\n"


def alternative() -> overlays.Overlay:
    """Return the alternative whose app.py imports wrappers.py."""
    return next(overlay for overlay in overlays.load("alternatives")
                if overlay.name == HELPER)


def write_module(folder: Path, name: str, text: str) -> None:
    """Write an executable module into a submission folder."""
    (folder / name).write_text(text)
    (folder / name).chmod(0o755)


@pytest.fixture
def helped(tmp_path: Path) -> Path:
    """Return a submission whose app.py imports wrappers.py."""
    return alternative().apply(tmp_path / "submission")


def style_of(folder: Path, number: int) -> List[model.Check]:
    """Return the style checks of one task on a snapshot of folder."""
    copy = folder.parent / "style-{}".format(number)
    intake.snapshot(folder, copy)
    problems = checks.style_problems(copy, STEPS, 2)
    return checks.style_checks(step(number), copy, problems)


def test_the_alternative_grades_full_marks(tmp_path: Path) -> None:
    """The whole kata passes, wrappers.py graded with the app's tasks."""
    folder = alternative().apply(tmp_path / "submission")
    assert oct(os.stat(str(folder / "wrappers.py")).st_mode & 0o777) == \
        oct(0o755)
    grade = grader.grade(folder, jobs=2)
    failed = ["{} {}: {}".format(task.step.number, check.name, check.message)
              for task in grade.tasks for check in task.checks
              if not check.passed]
    assert not failed, "\n".join(failed)
    assert sum(task.passed for task in grade.tasks) == len(STEPS) == 21
    assert grade.extra_modules == ["wrappers.py"]
    for task in grade.tasks:
        names = {check.name.split()[0] for check in task.checks
                 if check.kind == "style"}
        assert ("wrappers.py" in names) == ("app.py" in task.step.files)
    data = json.loads(report.to_json(grade))
    assert data["extra_modules"] == ["wrappers.py"]
    assert "Also graded: wrappers.py" in report.to_text(grade)


@pytest.fixture(scope="module")
def undocumented(tmp_path_factory: pytest.TempPathFactory,
                 ) -> Dict[int, model.TaskResult]:
    """Grade tasks 4 and 6 of a submission with an undocumented helper.

    The folder holds a scratch.py that nothing imports, badly styled.
    """
    folder = alternative().apply(tmp_path_factory.mktemp("undocumented")
                                 / "submission")
    write_module(folder, "wrappers.py", UNDOCUMENTED)
    (folder / "scratch.py").write_text(SCRATCH)
    grade = grader.grade(folder, [step(4), step(6)], jobs=2)
    return {task.step.number: task for task in grade.tasks}


def test_an_undocumented_helper_fails_the_app_tasks_style(
        undocumented: Dict[int, model.TaskResult]) -> None:
    """G5 of wrappers.py fails task 6 (app.py), naming the file."""
    task = undocumented[6]
    assert task.kind_passed("files") and task.kind_passed("spec")
    failed = [check for check in task.checks if not check.passed]
    assert failed and all(check.kind == "style" for check in failed)
    assert {check.name.split()[:2][1] for check in failed} == {"G5:"}
    assert all(check.name.startswith("wrappers.py ") for check in failed)
    assert all("wrappers.py" in check.message for check in failed)


def test_a_task_that_does_not_import_the_helper_is_unaffected(
        undocumented: Dict[int, model.TaskResult]) -> None:
    """Task 4 concerns auth.py, which does not import wrappers.py."""
    task = undocumented[4]
    assert task.passed
    assert not any("wrappers.py" in check.name for check in task.checks)


def test_an_unimported_file_is_neither_copied_nor_checked(
        helped: Path, tmp_path: Path,
        undocumented: Dict[int, model.TaskResult]) -> None:
    """scratch.py, imported by nothing, is left alone."""
    (helped / "scratch.py").write_text(SCRATCH)
    refused = intake.snapshot(helped, tmp_path / "copy")
    assert refused == {}
    assert refused.extra_modules == ["wrappers.py"]
    assert not (tmp_path / "copy" / "scratch.py").exists()
    for task in undocumented.values():
        assert not any("scratch" in check.name + check.message
                       for check in task.checks)


def test_a_chain_of_helpers_is_copied_whole(helped: Path,
                                            tmp_path: Path) -> None:
    """app.py -> wrappers.py -> helpers.py: both are copied and checked."""
    text = (helped / "wrappers.py").read_text()
    write_module(helped, "wrappers.py", text.replace(
        "from auth import Auth\n", "from auth import Auth\n"
        "from helpers import GREETING\n"))
    write_module(helped, "helpers.py", '#!/usr/bin/env python3\n'
                 '"""A constant the wrappers module imports."""\n'
                 'import wrappers  # a cycle: followed only once\n\n'
                 'GREETING = "Bienvenue"\n')
    copy = tmp_path / "copy"
    refused = intake.snapshot(helped, copy)
    assert refused == {}
    assert refused.extra_modules == ["helpers.py", "wrappers.py"]
    assert (copy / "helpers.py").read_text() == \
        (helped / "helpers.py").read_text()
    checks = style_of(helped, 6)
    named = sorted({check.name.split()[0] for check in checks})
    assert named == ["app.py", "helpers.py", "wrappers.py"]
    assert all(check.passed for check in checks)
    assert not any(check.name.startswith("helpers.py")
                   for check in style_of(helped, 4))


def test_a_linked_helper_is_refused_with_a_reason(helped: Path,
                                                  tmp_path: Path) -> None:
    """A symbolic link is not followed; the app tasks' files check fails."""
    real = tmp_path / "elsewhere.py"
    real.write_text((helped / "wrappers.py").read_text())
    (helped / "wrappers.py").unlink()
    (helped / "wrappers.py").symlink_to(real)
    copy = tmp_path / "copy"
    refused = intake.snapshot(helped, copy)
    assert "symbolic link" in refused["wrappers.py"]
    assert refused.extra_modules == []
    assert not (copy / "wrappers.py").exists()
    failed = [check for check in checks.file_checks(step(6), copy, refused)
              if not check.passed]
    assert [check.name for check in failed] == ["wrappers.py is present"]
    assert "symbolic link" in failed[0].message
    assert all(check.passed
               for check in checks.file_checks(step(4), copy, refused))


def test_a_local_module_shadowing_a_library_is_the_submissions(
        helped: Path, tmp_path: Path) -> None:
    """An imported json.py of the folder is copied; os, with none, is not."""
    text = (helped / "wrappers.py").read_text()
    write_module(helped, "wrappers.py", text.replace(
        "from auth import Auth\n", "import os.path\nimport json\n"
        "from auth import Auth\n"))
    write_module(helped, "json.py", "not python (\n")
    refused = intake.snapshot(helped, tmp_path / "copy")
    assert refused.extra_modules == ["json.py", "wrappers.py"]


def test_too_many_helpers_are_refused(helped: Path, tmp_path: Path) -> None:
    """Past MAX_EXTRA_MODULES, a module is refused and the reason says so."""
    count = intake.MAX_EXTRA_MODULES + 2
    imports = "".join("import helper{:02d}\n".format(index)
                      for index in range(count))
    text = (helped / "wrappers.py").read_text()
    write_module(helped, "wrappers.py", text.replace(
        "from auth import Auth\n", imports + "from auth import Auth\n"))
    for index in range(count):
        write_module(helped, "helper{:02d}.py".format(index), "X = 1\n")
    refused = intake.snapshot(helped, tmp_path / "copy")
    assert len(refused.extra_modules) == intake.MAX_EXTRA_MODULES
    assert len(refused) == count + 1 - intake.MAX_EXTRA_MODULES
    assert all("at most {} modules".format(intake.MAX_EXTRA_MODULES)
               in reason for reason in refused.values())
