#!/usr/bin/env python3
"""Roster mode: a whole class graded into one gradebook."""
import csv
import json
import shutil
from pathlib import Path
from typing import Dict, List

import pytest

from kata import cli
from kata.catalogue.steps import SOLUTION_DIR, STEPS, SUBMISSION_FILES
from kata.classroom import discovery
from kata.reports import classsummary, gradebook

NESTED = "alx-backend-user-data/0x03-user_authentication_service"


def make_class(root: Path) -> Path:
    """Build a class: correct, partial, broken, hostile, nested, missing."""
    shutil.copytree(str(SOLUTION_DIR), str(root / "alice"))
    shutil.copytree(str(SOLUTION_DIR), str(root / "bob" / NESTED))
    (root / "bob" / "notes.txt").write_text("not a submission\n")
    partial = root / "carol"
    partial.mkdir()
    for name in ("user.py", "db.py", "README.md"):
        shutil.copy2(str(SOLUTION_DIR / name), str(partial / name))
    broken = root / "dave"
    shutil.copytree(str(SOLUTION_DIR), str(broken))
    (broken / "auth.py").write_text((broken / "auth.py").read_text()
                                    + "\ndef broken(:\n")
    hostile = root / "eve"
    shutil.copytree(str(SOLUTION_DIR), str(hostile))
    (hostile / "db.py").write_text(
        "#!/usr/bin/env python3\n\"\"\"Loop forever at import.\"\"\"\n"
        "while True:\n    pass\n")
    (root / "frank").mkdir()
    (root / "frank" / "homework.txt").write_text("nothing here\n")
    return root


def grade_class(root: Path, tmp_path: Path, *extra: str) -> int:
    """Grade the class into gradebook.csv and reports.json."""
    return cli.main(["roster", str(root), "--jobs", "2", "--timeout", "5",
                     "--csv", str(tmp_path / "gradebook.csv"),
                     "--json", str(tmp_path / "reports.json"), *extra])


def read_gradebook(path: Path) -> Dict[str, Dict[str, str]]:
    """Return the gradebook rows by student."""
    with open(path, newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    """Grade the class once for the tests of this module."""
    tmp_path = tmp_path_factory.mktemp("roster")
    root = make_class(tmp_path / "class")
    code = grade_class(root, tmp_path)
    return {"code": code, "root": root, "tmp": tmp_path,
            "book": read_gradebook(tmp_path / "gradebook.csv"),
            "json": json.loads((tmp_path / "reports.json").read_text())}


def test_finds_submissions_by_their_files(tmp_path: Path) -> None:
    """A submission is found in the student folder or deeper."""
    root = make_class(tmp_path / "class")
    found = {item.name: item.submission
             for item in discovery.find_students(root)}
    assert found["alice"] == root / "alice"
    assert found["bob"] == root / "bob" / NESTED
    assert found["frank"] is None


def test_gradebook_has_a_row_per_student(graded: Dict[str, object]) -> None:
    """Every student has a row; each column tells pass or fail."""
    book = graded["book"]
    assert sorted(book) == ["alice", "bob", "carol", "dave", "eve", "frank"]
    header = list(next(iter(book.values())))
    assert header[:2] == ["student", "submission"]
    assert header[-2:] == ["tasks passed", "score"]
    assert len(header) == 2 + len(STEPS) + 2
    assert graded["code"] == 1


def test_each_submission_gets_its_own_grade(
        graded: Dict[str, object]) -> None:
    """Correct, partial, broken and hostile submissions each get theirs."""
    book = graded["book"]
    assert book["alice"]["tasks passed"] == str(len(STEPS))
    assert book["bob"]["tasks passed"] == str(len(STEPS))
    assert book["carol"]["task 00"] == "pass"
    assert book["carol"]["task 01"] == "pass"
    assert book["carol"]["task 05"] == "fail"
    assert book["dave"]["task 03"] == "pass"
    assert book["dave"]["task 05"] == "fail"
    assert book["eve"]["task 00"] == "pass"
    assert book["eve"]["task 01"] == "fail"
    assert book["frank"]["submission"] == "not found"


def test_hostile_submission_times_out_in_its_own_row(
        graded: Dict[str, object]) -> None:
    """An endless loop costs only its own tasks, reported as time-outs."""
    reports = {entry["student"]: entry["report"]
               for entry in graded["json"]["students"]}
    eve = {task["task"]: task for task in reports["eve"]["tasks"]}
    assert eve[1]["timed_out"]
    assert any("timed out" in check["message"]
               for check in eve[1]["checks"] if not check["passed"])
    assert graded["json"]["not_found"] == ["frank"]


def test_summary_counts_passes_and_the_most_failed_check(
        graded: Dict[str, object], capsys: pytest.CaptureFixture) -> None:
    """The summary's counts agree with the reports."""
    reports = {entry["student"]: entry["report"]
               for entry in graded["json"]["students"] if entry["report"]}
    text = classsummary.summary(reports, ["frank"])
    assert "No submission found in: frank" in text
    assert "  0  User model" in text and "4/5 passed" in text
    failures: Dict[str, int] = {}
    for report in reports.values():
        for task in report["tasks"]:
            for check in task["checks"]:
                if not check["passed"]:
                    key = "task {:02d}: {}".format(task["task"],
                                                   check["name"])
                    failures[key] = failures.get(key, 0) + 1
    top = max(failures.values())
    assert "({} submission(s))".format(top) in text.splitlines()[-1]


def test_grading_twice_gives_the_same_gradebook(
        graded: Dict[str, object], tmp_path: Path) -> None:
    """The gradebook does not depend on timing or order."""
    assert grade_class(graded["root"], tmp_path) == 1
    again = read_gradebook(tmp_path / "gradebook.csv")
    assert again == graded["book"]


def test_only_regrades_one_student_and_updates_the_outputs(
        graded: Dict[str, object], tmp_path: Path) -> None:
    """--only NAME replaces that student's row and keeps the others."""
    for name in ("gradebook.csv", "reports.json"):
        shutil.copy2(str(graded["tmp"] / name), str(tmp_path / name))
    root = tmp_path / "class"
    shutil.copytree(str(graded["root"]), str(root))
    for name in SUBMISSION_FILES:
        shutil.copy2(str(SOLUTION_DIR / name), str(root / "carol" / name))
    grade_class(root, tmp_path, "--only", "carol")
    book = read_gradebook(tmp_path / "gradebook.csv")
    assert book["carol"]["tasks passed"] == str(len(STEPS))
    before = dict(graded["book"])
    for name in ("alice", "dave", "eve", "frank"):
        assert book[name] == before[name]
    data = json.loads((tmp_path / "reports.json").read_text())
    students: List[str] = [entry["student"] for entry in data["students"]]
    assert students == sorted(before)


def test_roster_refuses_to_grade_unconfined(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    """Without the sandbox, roster refuses unless told --allow-unisolated."""
    from kata.sandbox import jail
    monkeypatch.setattr(jail, "bwrap_works", lambda: False)
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    assert cli.main(["roster", str(folder), "--jobs", "1"]) == cli.EXIT_USAGE
    assert "--allow-unisolated" in capsys.readouterr().err
    code = cli.main(["roster", str(folder), "--jobs", "1",
                     "--allow-unisolated"])
    assert code != cli.EXIT_USAGE


def test_gradebook_credits_own_verdicts_unless_told_integrated() -> None:
    """--credit integrated counts the whole stack's verdicts instead."""
    student = gradebook.Student("bob", Path("bob"), Path("bob"))
    tasks = [{"task": 10, "passed": False, "integrated_passed": False},
             {"task": 11, "passed": True, "integrated_passed": False}]
    report = {"submission": "bob", "tasks": tasks, "tasks_passed": 1,
              "score": 50.0, "tasks_passed_integrated": 0,
              "score_integrated": 0.0}
    header, own = gradebook.rows([student], {"bob": report})
    _, integrated = gradebook.rows([student], {"bob": report},
                                   "integrated")
    column = header.index("task 11")
    assert (own[column], own[-2:]) == ("pass", ["1", "50.0"])
    assert (integrated[column], integrated[-2:]) == ("fail", ["0", "0.0"])
