#!/usr/bin/env python3
"""Advice is shown under a passing step, carried in JSON, counted for a
class, and never changes a verdict, a score or an exit status."""
import dataclasses
import json
from pathlib import Path

import jsonschema

from helpers import ISOLATE
from kata.catalogue import overlays
from kata.catalogue.steps import REPO_ROOT, step
from kata.grading import grader
from kata.reading import advice
from kata.reports import classreport, report
from kata.verdict import model

SCHEMA = json.loads((REPO_ROOT / "kata" / "reports" / "report.schema.json")
                    .read_text())


def graded_alternative(name: str, folder: Path) -> model.Grade:
    """Grade step 03 of one alternative of the solution."""
    chosen = next(item for item in overlays.load("alternatives")
                  if item.name == name)
    return grader.grade(chosen.apply(folder / name), [step(3)],
                        isolate=ISOLATE)


def test_a_passing_step_shows_its_advice(tmp_path: Path) -> None:
    """hasattr in update_user passes, with the comment that says why not."""
    grade = graded_alternative("update-user-checks-hasattr", tmp_path)
    assert grade.passed
    keys = [item.key for item in grade.advice]
    assert "update-user-hasattr" in keys, keys
    text = report.to_text(grade)
    assert "advice (informative, db.py:" in text, text
    data = grade.to_dict()
    jsonschema.validate(data, SCHEMA)
    assert {"key": "update-user-hasattr", "step": 3,
            "kind": "informative"}.items() <= next(
        item for item in data["advice"]
        if item["key"] == "update-user-hasattr").items()


def test_advice_changes_no_verdict(tmp_path: Path) -> None:
    """Every comment of the catalogue on every step changes no verdict."""
    grade = graded_alternative("update-user-checks-mapper-columns",
                               tmp_path)
    flood = [advice.Advice(comment.key, comment.kind, number, comment.text,
                           "db.py:1")
             for comment in advice.catalogue() for number in range(21)]
    advised = dataclasses.replace(grade, advice=flood)
    quiet = dataclasses.replace(grade, advice=[])
    before, after = quiet.to_dict(), advised.to_dict()
    before.pop("advice")
    after.pop("advice")
    assert before == after
    # The exit status is the grade's passed (kata/cli.py).
    assert (advised.passed, advised.score) == (quiet.passed, quiet.score)
    assert [line for line in report.to_text(advised).splitlines()
            if "advice (" not in line] == report.to_text(quiet).splitlines()
    assert report.to_junit(advised) == report.to_junit(quiet)


def test_at_most_two_comments_show_under_a_step() -> None:
    """The text shows a step's two most useful comments, essential first."""
    comments = [comment for comment in advice.catalogue()
                if comment.step == 3]
    given = [advice.Advice(comment.key, comment.kind, 3, comment.text,
                           "db.py:9") for comment in comments]
    lines = report.advice_lines(advice.shown(given, 3, limit=len(given)), 3)
    assert len(lines) == min(2, len(comments))
    order = [advice.KINDS.index(comment.kind) for comment in comments]
    assert lines[0].startswith("       advice ({},".format(
        advice.KINDS[min(order)]))


def test_the_class_page_counts_advice() -> None:
    """The class page says how many submissions got each comment."""
    comment = next(item for item in advice.catalogue()
                   if item.key == "update-user-hasattr")
    given = {"key": comment.key, "kind": comment.kind, "step": 3,
             "text": comment.text, "where": "db.py:40"}
    reports = {"ana": {"tasks": [], "advice": [given]},
               "bob": {"tasks": [], "advice": [given]},
               "eve": {"tasks": [], "advice": []}}
    assert classreport.most_advised(
        classreport.grades_of(reports).values()) == [(comment, 2)]
    page = classreport.render("class", sorted(reports), reports)
    assert "2 of 3" in page
