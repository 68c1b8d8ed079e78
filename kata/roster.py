#!/usr/bin/env python3
"""Grade a whole class: every submission under a folder, into a gradebook.

Each sub-folder of the roster folder is one student. Their submission may sit
deeper (e.g. ``alx-backend-user-data/0x03-user_authentication_service``): it
is the shallowest folder holding the exercise's files.
"""
import argparse
import csv
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from tqdm import tqdm

from kata import classreport, grading, jail, report, similarity
from kata.steps import STEPS, SUBMISSION_FILES

SEARCH_DEPTH = 4
# Folders that never hold a submission and may be huge.
SKIPPED_FOLDERS = {"__pycache__", "node_modules", "venv", ".venv", "env",
                   "site-packages", ".git"}
PYTHON_FILES = [name for name in SUBMISSION_FILES if name.endswith(".py")]


@dataclass
class Student:
    """A student's folder and, if one was found, their submission in it."""

    name: str
    folder: Path
    submission: Optional[Path]


def _score_of(folder: Path) -> int:
    """Return how many of the exercise's Python files a folder holds."""
    return sum((folder / name).is_file() for name in PYTHON_FILES)


def find_submission(folder: Path) -> Optional[Path]:
    """Return the shallowest folder under folder holding exercise files."""
    level = [folder]
    for _ in range(SEARCH_DEPTH + 1):
        found = [candidate for candidate in level if _score_of(candidate)]
        if found:
            return max(found, key=lambda candidate: (_score_of(candidate),
                                                     str(candidate)))
        level = sorted(child for candidate in level
                       for child in _subfolders(candidate))
    return None


def _subfolders(folder: Path) -> List[Path]:
    """Return the sub-folders worth searching, skipping environments."""
    try:
        children = list(folder.iterdir())
    except OSError:
        return []
    return [child for child in children
            if child.is_dir() and not child.is_symlink()
            and child.name not in SKIPPED_FOLDERS
            and not child.name.startswith(".")
            and not (child / "pyvenv.cfg").exists()]


def find_students(roster: Path) -> List[Student]:
    """Return every student folder of the roster, sorted by name."""
    return [Student(folder.name, folder, find_submission(folder))
            for folder in sorted(roster.iterdir())
            if folder.is_dir() and not folder.name.startswith(".")]


def gradebook_rows(students: List[Student],
                   reports: Dict[str, Dict[str, Any]],
                   credit: str = "own") -> List[List[str]]:
    """Return the CSV rows: a header, then a row per student.

    credit "own" counts each task's own verdict; "integrated" counts the
    verdict of the student's whole stack.
    """
    key = "integrated_passed" if credit == "integrated" else "passed"
    header = ["student", "submission"] + [
        "task {:02d}".format(item.number) for item in STEPS] + [
        "tasks passed", "score"]
    rows = [header]
    for student in students:
        data = reports.get(student.name)
        if data is None:
            rows.append([student.name, "not found"] + [""] * len(STEPS)
                        + ["0", "0.0"])
            continue
        verdicts = {task["task"]: "pass" if task.get(key, task["passed"])
                    else "fail" for task in data["tasks"]}
        if credit == "integrated":
            totals = [str(data.get("tasks_passed_integrated",
                                   data["tasks_passed"])),
                      str(data.get("score_integrated", data["score"]))]
        else:
            totals = [str(data["tasks_passed"]), str(data["score"])]
        rows.append([student.name, data["submission"]] + [
            verdicts.get(item.number, "") for item in STEPS] + totals)
    return rows


def summary(reports: Dict[str, Dict[str, Any]],
            not_found: List[str]) -> str:
    """Return per task how many passed, and the most failed check."""
    lines = ["Graded {} submission(s).".format(len(reports))]
    if not_found:
        lines.append("No submission found in: {}".format(
            ", ".join(not_found)))
    failures: Counter = Counter()
    for item in STEPS:
        passed = sum(1 for data in reports.values() for task in data["tasks"]
                     if task["task"] == item.number and task["passed"])
        lines.append("{:>3}  {:<40} {}/{} passed".format(
            item.number, item.title, passed, len(reports)))
    for data in reports.values():
        for task in data["tasks"]:
            for check in task["checks"]:
                if not check["passed"]:
                    failures["task {:02d}: {}".format(
                        task["task"], check["name"])] += 1
    if failures:
        # Ties go to the earliest check, so the summary is reproducible.
        check, count = min(failures.items(),
                           key=lambda item: (-item[1], item[0]))
        lines.append("Most failed check: {} ({} submission(s))".format(
            check, count))
    else:
        lines.append("No check failed.")
    return "\n".join(lines)


def _previous_reports(path: Optional[Path]) -> Dict[str, Dict[str, Any]]:
    """Return the reports stored in an earlier JSON output, if any."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
        return {entry["student"]: entry["report"]
                for entry in data.get("students", []) if entry.get("report")}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def _previous_csv(path: Optional[Path]) -> Dict[str, List[str]]:
    """Return the rows of an earlier CSV gradebook by student."""
    if path is None or not path.is_file():
        return {}
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return {row[0]: row for row in rows[1:] if row}


def run(arguments: argparse.Namespace) -> int:
    """Run the roster command."""
    from kata.cli import EXIT_FAIL, EXIT_PASS, UsageError

    roster_dir: Path = arguments.folder
    if not roster_dir.is_dir():
        raise UsageError("{} is not a folder".format(roster_dir))
    if not jail.bwrap_works() and not arguments.allow_unisolated:
        raise UsageError(
            "roster refuses to grade without the sandbox, and bubblewrap "
            "cannot run here: {} (or pass --allow-unisolated to run every "
            "student's code unconfined)".format(jail.INSTALL_HINT))
    _check_similarity_options(arguments)
    students = find_students(roster_dir.resolve())
    if arguments.only:
        chosen = [item for item in students if item.name == arguments.only]
        if not chosen:
            raise UsageError("no student folder named {} in {}".format(
                arguments.only, roster_dir))
        to_grade = chosen
    else:
        to_grade = students
    graded = [item for item in to_grade if item.submission is not None]
    bar = tqdm(total=len(graded), desc="grading", unit="submission",
               file=sys.stderr, disable=None)
    grades = grading.grade_many(
        [item.submission for item in graded if item.submission],
        jobs=max(1, arguments.jobs), timeout=arguments.timeout,
        on_graded=lambda index: bar.update(1),
        min_doc_words=arguments.min_doc_words)
    bar.close()
    reports = _previous_reports(arguments.json) if arguments.only else {}
    for item, grade in zip(graded, grades):
        reports[item.name] = report.to_dict(grade)
    for item in to_grade:
        if item.submission is None:
            reports.pop(item.name, None)
    not_found = [item.name for item in students if item.submission is None]
    _write_outputs(arguments, students, reports, not_found)
    print(summary(reports, not_found))
    everyone_passed = all(
        data["tasks_passed"] == data["tasks_total"]
        for data in reports.values()) and not not_found
    return EXIT_PASS if everyone_passed else EXIT_FAIL


def _write_outputs(arguments: argparse.Namespace, students: List[Student],
                   reports: Dict[str, Dict[str, Any]],
                   not_found: List[str]) -> None:
    """Write the CSV gradebook and the JSON reports that were asked for."""
    if arguments.csv:
        rows = gradebook_rows(students, reports, arguments.credit)
        if arguments.only:
            # Keep the other students' rows as the earlier run wrote them.
            earlier = _previous_csv(arguments.csv)
            rows = [rows[0]] + [
                row if row[0] == arguments.only or row[0] not in earlier
                else earlier[row[0]] for row in rows[1:]]
        with open(arguments.csv, "w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    pairs = _similar_pairs(arguments, students, reports)
    if arguments.json:
        data = {"roster": str(arguments.folder),
                "students": [{"student": item.name,
                              "folder": str(item.folder),
                              "report": reports.get(item.name)}
                             for item in students],
                "not_found": not_found}
        if pairs is not None:
            data["similar_pairs"] = pairs
        arguments.json.write_text(json.dumps(data, indent=2) + "\n")
    if getattr(arguments, "html", None):
        arguments.html.write_text(classreport.render(
            str(arguments.folder), [item.name for item in students],
            reports, pairs), encoding="utf-8")


def _check_similarity_options(arguments: argparse.Namespace) -> None:
    """Refuse thresholds copydetect cannot work with, before grading."""
    from kata.cli import UsageError

    if not getattr(arguments, "similarity", False):
        return
    if arguments.noise_threshold < 1:
        raise UsageError("--noise-threshold must be at least 1")
    if arguments.guarantee_threshold < arguments.noise_threshold:
        raise UsageError("--guarantee-threshold must be at least "
                         "--noise-threshold")


def _similar_pairs(arguments: argparse.Namespace, students: List[Student],
                   reports: Dict[str, Dict[str, Any]]) -> Optional[
                       List[Dict[str, Any]]]:
    """Return the similar pairs of roster --similarity, else None."""
    if not getattr(arguments, "similarity", False):
        return None
    folders = {item.name: (item.submission, list(
        (reports.get(item.name) or {}).get("extra_modules", [])))
        for item in students if item.submission is not None}
    pairs = similarity.compare_folders(folders, similarity.Options(
        arguments.similarity_threshold, arguments.noise_threshold,
        arguments.guarantee_threshold, arguments.similarity_min_shared))
    flagged = [pair for pair in pairs if pair["flagged"]]
    print("Similarity: {} pair(s) flagged at {} or more{}".format(
        len(flagged), arguments.similarity_threshold, "".join(
            "\n  {} ~ {}: {}".format(pair["a"], pair["b"], pair["score"])
            for pair in flagged)))
    return pairs
