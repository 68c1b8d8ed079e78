#!/usr/bin/env python3
"""The splice never fails a right answer (kata/reading/splice.py).

Every alternative (kata/catalogue/overlays/alternatives/: right answers of
other shapes, views of other names, helper methods, type aliases, extra
imports) is spliced for every step. Each spliced submission imports, and
each step whose own code differs from the reference passes its spec on
its own code, as the alternative does on its whole stack.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from helpers import failures, run_specs, spec_passed
from kata.catalogue import overlays
from kata.catalogue.steps import SOLUTION_DIR, STEPS, Step
from kata.reading import splice
from kata.student import workspace

ALTERNATIVES = overlays.load("alternatives")
IMPORTED = "import user, db, auth, app"


def differing_steps(folder: Path) -> List[Step]:
    """Return the steps whose spliced code is not the reference's."""
    return [item for item in STEPS
            if any(text != (SOLUTION_DIR / name).read_text()
                   for name, text in splice.spliced_files(
                       item, folder).items())]


@pytest.fixture(scope="module")
def spliced() -> Iterator[Dict[Tuple[str, int], Path]]:
    """Write each alternative's spliced submission of each differing step."""
    with tempfile.TemporaryDirectory() as root:
        folders: Dict[Tuple[str, int], Path] = {}
        for alternative in ALTERNATIVES:
            folder = alternative.apply(Path(root) / alternative.name)
            for item in differing_steps(folder):
                destination = Path(root) / "spliced" / alternative.name / \
                    item.name
                splice.write_spliced(item, folder, destination,
                                     [path.name for path in
                                      folder.glob("*.py")])
                folders[alternative.name, item.number] = destination
        yield folders


def imports(folder: Path) -> str:
    """Import the exercise's modules in folder; return what went wrong."""
    # The checker runs with PYTHONSAFEPATH, which keeps the current folder
    # off sys.path: here it is what is imported.
    environment = {key: value for key, value in os.environ.items()
                   if key != "PYTHONSAFEPATH"}
    run = subprocess.run([sys.executable, "-c", IMPORTED], cwd=str(folder),
                         capture_output=True, text=True, timeout=60,
                         env=environment)
    return "" if run.returncode == 0 else run.stderr.strip()


@pytest.mark.parametrize("alternative", ALTERNATIVES,
                         ids=[item.name for item in ALTERNATIVES])
def test_an_alternative_spliced_imports_and_passes(
        alternative: overlays.Overlay,
        spliced: Dict[Tuple[str, int], Path]) -> None:
    """Each step's own code of a right answer passes among the reference."""
    mine = {number: folder for (name, number), folder in spliced.items()
            if name == alternative.name}
    for number, folder in sorted(mine.items()):
        problem = imports(folder)
        assert not problem, "step {}: {}".format(number, problem)
        result = run_specs([item for item in STEPS
                            if item.number == number], folder)[number]
        assert spec_passed(result), "step {}: {}".format(
            number, failures(result))


def test_every_hidden_shape_is_spliced_somewhere(
        spliced: Dict[Tuple[str, int], Path]) -> None:
    """The shapes the splice must handle reach the steps that need them."""
    reached = {name: sorted(number for other, number in spliced
                            if other == name)
               for name in ("views-named-freely",
                            "auth-with-a-lookup-helper")}
    assert {6, 7, 11, 14, 15, 17, 19} <= set(reached["views-named-freely"])
    assert {5, 8, 10, 12, 16, 18} <= set(
        reached["auth-with-a-lookup-helper"])


@pytest.mark.parametrize("number", [item.number for item in STEPS
                                    if item.number < 20])
def test_a_workspace_in_progress_imports_where_it_splices(
        number: int, tmp_path: Path) -> None:
    """A workspace begun at step N splices into code that imports.

    The starter's files with steps 0..N-1 done keep the student's imports;
    the reference definitions put among them bring the names they need
    (Any, Optional, User, ...).
    """
    folder = tmp_path / "workspace"
    workspace.init(folder, at_step=number)
    for item in STEPS:
        try:
            splice.write_spliced(item, folder, tmp_path / item.name)
        except splice.SpliceError:
            continue
        problem = imports(tmp_path / item.name)
        assert not problem, "step {}: {}".format(item.number, problem)


def test_a_huge_file_of_equal_lines_is_not_matched_line_by_line() -> None:
    """A hostile file cannot hold the grading up in line_map.

    A megabyte of equal lines would take the matcher quadratic time; such a
    file is not mapped, and its places then name the file alone.
    """
    huge = "x = 1\n" * 150000
    assert splice.line_map(huge + "y = 2\n", huge) is None
    assert splice.in_student_lines("at auth.py:7", {"auth.py": None}) == \
        "at auth.py"
