#!/usr/bin/env python3
"""One model of a grade: it reads back from its JSON report unchanged.

The class page, status and the roster read stored reports through
Grade.from_dict, so a grade written with to_dict and read back must give
the same report, the text one included, and a task the same state.
"""
import json
from pathlib import Path
from typing import Any, Dict

import pytest

from kata.catalogue.steps import step
from kata.reading.advice import Advice
from kata.reports import report
from kata.verdict.model import (Check, CheckKind, Grade, TaskResult,
                                TaskState)

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"


def every_state() -> Grade:
    """Return a grade with a task in every state, and every field set."""
    passing = TaskResult(step(0), [
        Check("user.py is present", "files", True),
        Check("style[user.py G4]", "style", True),
        Check("test_table", "spec", True)])
    blocked = TaskResult(step(4), [Check("test_hash", "spec", True)],
                         integrated_checks=[
                             Check("test_hash", "spec", False,
                                   "importing auth.py raised\nSyntaxError")],
                         blocked_by=1,
                         note="works once step 1 is fixed: it is broken")
    styled = TaskResult(step(5), [
        Check("style[auth.py G5]", "style", False, "auth.py:3: no docstring"),
        Check("test_register", "spec", True)])
    slow = TaskResult(step(6), [Check("test_app", "spec", False,
                                      "timed out")], timed_out=True)
    broken = TaskResult(step(7), [
        Check("app.py is present", "files", False, "app.py is missing"),
        Check("test_users\x1b[8m", "spec", False, "assert 400 == 200\r")])
    return Grade("/class/\u202eana", [passing, blocked, styled, slow, broken],
                 "sandboxed", tampering={"tests/conftest.py": "modified"},
                 extra_modules=["helpers.py"],
                 load={"start": 5.0, "end": 4.0, "cores": 2.0},
                 advice=[Advice("column-lengths", "informative", 0,
                                "a comment", "user.py:7")])


def test_every_state_is_told_apart() -> None:
    """pass, blocked, works-but-style, timed out and failing are distinct."""
    assert [task.state for task in every_state().tasks] == [
        TaskState.PASS, TaskState.BLOCKED, TaskState.STYLE,
        TaskState.TIMEOUT, TaskState.FAIL]
    assert [task.state.done for task in every_state().tasks] == [
        True, True, False, False, False]


def test_a_grade_reads_back_from_its_report_unchanged() -> None:
    """to_dict then from_dict: the same JSON, the same text report."""
    grade = every_state()
    back = Grade.from_dict(json.loads(json.dumps(grade.to_dict())))
    assert back.to_dict() == grade.to_dict()
    assert report.to_text(back) == report.to_text(grade)
    assert [task.state for task in back.tasks] == [
        task.state for task in grade.tasks]


@pytest.mark.parametrize("name", ["solution-step0", "wrong-table-step0"])
def test_a_real_report_reads_back_unchanged(name: str) -> None:
    """The golden reports of real gradings read back to the same data."""
    data = json.loads((GOLDEN / (name + ".json")).read_text())
    # The golden files hold placeholders where a grading varies.
    data.update(specs_modified=False, tampering=[])
    assert Grade.from_dict(data).to_dict() == data


def test_check_kinds_are_words_in_every_output() -> None:
    """A kind is an enum in the model and its word in text and JSON."""
    check = Check("x", "style", False)
    assert check.kind is CheckKind.STYLE and check.kind == "style"
    assert "{}".format(check.kind) == "style"
    assert json.dumps(check.to_dict()["kind"]) == '"style"'
    with pytest.raises(ValueError):
        Check("x", "smell", False)


def test_a_partial_or_odd_report_reads_as_far_as_it_goes() -> None:
    """A report of an older checker, or one edited by hand, still reads."""
    data: Dict[str, Any] = {"submission": "old", "tampering": "x", "tasks": [
        {"task": 99, "checks": []}, "not a task",
        {"task": 2, "checks": [{"name": "a\nb", "passed": False}],
         "blocked_by": "three"}]}
    grade = Grade.from_dict(data)
    assert [task.step.number for task in grade.tasks] == [2]
    assert grade.tasks[0].blocked_by is None
    assert grade.tasks[0].checks[0].kind is CheckKind.SPEC
    assert grade.to_dict()["tasks"][0]["checks"][0]["name"] == "a\\nb"
    assert grade.tampering == {}
    empty = Grade.from_dict({})
    assert empty.tasks == []
    assert report.to_text(empty).endswith(
        "Score: 0/0 tasks passed (0.0%), 0/0 checks passed")
