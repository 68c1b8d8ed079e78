#!/usr/bin/env python3
"""Student folder names are data: escaped everywhere, never a formula."""
import contextlib
import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any, Dict, List

import pytest

from kata import cli
from kata.catalogue.steps import SOLUTION_DIR
from kata.classroom import discovery
from kata.reading.text import one_line
from kata.reports import gradebook

# Folder names a class may hold, from a mischievous student or a tool.
HOSTILE = ['=HYPERLINK("x","y")', "\x1b[31mred", "-2+3", "@SUM(A1)",
           "\u202eevil", "tab\there", "'quoted"]
# A name with a newline, in a folder without a submission.
NOT_FOUND = "new\nline"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
RAW = ("\x1b", "\u202e", "\t", "\r")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """Grade a class of hostile names, each with a one-file submission."""
    folder = tmp_path_factory.mktemp("names")
    for name in HOSTILE:
        (folder / "class" / name).mkdir(parents=True)
        shutil.copy2(str(SOLUTION_DIR / "user.py"),
                     str(folder / "class" / name / "user.py"))
    (folder / "class" / NOT_FOUND).mkdir()
    return {"folder": folder, "run": run(folder)}


def run(folder: Path, *extra: str) -> Dict[str, Any]:
    """Run roster on folder/class into folder; return code and output."""
    outputs = ["--csv", str(folder / "grades.csv"), "--json",
               str(folder / "reports.json"), "--html",
               str(folder / "class.html")]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["roster", str(folder / "class"), "--jobs", "2",
                         "--timeout", "10", *outputs, *extra])
    return {"code": code, "out": out.getvalue(), "err": err.getvalue()}


def rows(path: Path) -> List[List[str]]:
    """Return every row of a CSV file, as the csv module reads it."""
    with open(str(path), newline="") as handle:
        return list(csv.reader(handle))


def test_no_cell_of_the_gradebook_starts_a_formula(
        graded: Dict[str, Any]) -> None:
    """Every cell that would start a formula starts with a quote."""
    book = rows(graded["folder"] / "grades.csv")
    assert len(book) == 1 + len(HOSTILE) + 1
    for row in book:
        for cell in row:
            assert not cell.startswith(DANGEROUS), cell
            assert not any(character in cell for character in RAW), cell
    names = [row[0] for row in book[1:]]
    assert "'=HYPERLINK(\"x\",\"y\")" in names
    assert "'-2+3" in names and "'@SUM(A1)" in names
    assert "''quoted" in names
    assert sorted(gradebook.csv_text(name) for name in names) == sorted(
        one_line(name) for name in HOSTILE + [NOT_FOUND])
    assert all(cell.startswith('"') for line in (
        graded["folder"] / "grades.csv").read_text().splitlines()
        for cell in line.split('","')[:1])


def test_the_summary_and_reports_show_names_escaped(
        graded: Dict[str, Any]) -> None:
    """stdout, the JSON and the HTML page hold no raw escape of a name."""
    out = graded["run"]["out"]
    assert "No submission found in: new\\nline" in out
    assert not any(character in out for character in RAW)
    data = json.loads((graded["folder"] / "reports.json").read_text())
    students = [entry["student"] for entry in data["students"]]
    assert sorted(students) == sorted(one_line(name)
                                      for name in HOSTILE + [NOT_FOUND])
    for entry in data["students"]:
        assert not any(character in entry["folder"] + entry["student"]
                       for character in RAW + ("\n",))
    assert data["not_found"] == ["new\\nline"]
    page = (graded["folder"] / "class.html").read_text()
    assert not any(character in page for character in RAW)
    assert "\\x1b[31mred" in page


def test_only_finds_a_student_by_either_name(
        graded: Dict[str, Any], tmp_path: Path) -> None:
    """--only takes the folder's own name or the name as shown."""
    for name in ("class", "grades.csv", "reports.json"):
        source = graded["folder"] / name
        if source.is_dir():
            shutil.copytree(str(source), str(tmp_path / name))
        else:
            shutil.copy2(str(source), str(tmp_path / name))
    shutil.copy2(str(SOLUTION_DIR / "db.py"),
                 str(tmp_path / "class" / "\x1b[31mred" / "db.py"))
    dry = run(tmp_path, "--only", "\x1b[31mred", "--dry-run")
    assert dry["code"] != cli.EXIT_USAGE, dry["err"]
    shown = dry["out"].splitlines()[1]
    assert shown.startswith("\\x1b[31mred: ")
    assert "task 01: fail -> pass" in shown
    assert not any(character in dry["out"] for character in RAW)
    done = run(tmp_path, "--only", "\\x1b[31mred")
    assert done["code"] != cli.EXIT_USAGE, done["err"]
    history = (tmp_path / "grades.csv.history.jsonl").read_text()
    record = json.loads(history)
    assert record["student"] == "\\x1b[31mred"
    assert "\x1b" not in history and "\\u001b" not in history
    book = {gradebook.csv_text(row[0]): row
            for row in rows(tmp_path / "grades.csv")}
    header = book["student"]
    assert book["\\x1b[31mred"][header.index("task 01")] == "pass"
    before = {gradebook.csv_text(row[0]): row
              for row in rows(graded["folder"] / "grades.csv")}
    assert book["'quoted"] == before["'quoted"]
    missing = run(tmp_path, "--only", "no\x1bbody")
    assert missing["code"] == cli.EXIT_USAGE
    assert "no\\x1bbody" in missing["err"]


def test_a_cell_is_marked_and_read_back_exactly() -> None:
    """csv_text undoes csv_cell, for plain and for dangerous cells."""
    for text in ["alice", "=1+2", "'=1+2", "''", "'", "", "-", "100.0",
                 "\tx", "a=b"]:
        cell = gradebook.csv_cell(text)
        assert not cell.startswith(DANGEROUS)
        assert gradebook.csv_text(cell) == text


def test_students_are_named_by_escaped_folder_names() -> None:
    """Two folder names that escape alike stay two students."""
    assert discovery.shown_names(["a\nb", "a\\nb", "ok"]) == [
        "a\\nb", "a\\nb (2)", "ok"]
