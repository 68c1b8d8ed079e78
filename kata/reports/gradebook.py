#!/usr/bin/env python3
"""A class's gradebook: its rows, and the CSV, JSON and HTML files of it.

The CSV has a row per student, a column per task; the JSON holds every
student's full report and says which kata and specs graded them; the HTML
is the class report (classreport.py). Every cell of the CSV is kept from
being read as a spreadsheet formula, and read back exactly.

A student's name is their folder's name, which is data like any other: it
comes here already escaped (text.one_line) by whoever found the folder.
"""
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from kata.catalogue.steps import STEPS
from kata.reading import text
from kata.reports import classreport

# What makes a spreadsheet read a cell as a formula when it leads the cell
# (OWASP's list), and the quote that neutralises them: a cell that starts
# with the quote itself gets one more, so that reading back is exact.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"
Report = Dict[str, Any]


@dataclass
class Student:
    """A student's folder and, if one was found, their submission in it.

    name is the folder's name made printable on one line (and told apart
    from another folder's that escapes to the same text).
    """

    name: str
    folder: Path
    submission: Optional[Path]


@dataclass
class Gradebook:
    """What a roster run graded: the students, their reports, the stamps.

    shard is (K, N) for the K-th of N slices of the class, whose names are
    class_students; versions says which kata and specs graded it.
    """

    roster: str
    students: List[Student]
    reports: Dict[str, Report]
    credit: str = "own"
    versions: Dict[str, str] = field(default_factory=dict)
    shard: Optional[Tuple[int, int]] = None
    class_students: List[str] = field(default_factory=list)
    # roster --similarity's pairs (similarity.compare_folders), if asked.
    similar_pairs: Optional[List[Dict[str, Any]]] = None

    @property
    def not_found(self) -> List[str]:
        """Return the students in whose folder no submission was found."""
        return [item.name for item in self.students
                if item.submission is None]

    @property
    def everyone_passed(self) -> bool:
        """Tell whether every student was found and passed every task."""
        return all(data["tasks_passed"] == data["tasks_total"]
                   for data in self.reports.values()) and not self.not_found \
            and all(item.name in self.reports for item in self.students)


@dataclass
class Outputs:
    """The files a gradebook is written to; None where none was asked for."""

    csv: Optional[Path] = None
    json: Optional[Path] = None
    html: Optional[Path] = None


def csv_cell(content: str) -> str:
    """Return a gradebook cell that no spreadsheet reads as a formula."""
    if content.startswith(FORMULA_STARTS + (TEXT_MARK,)):
        return TEXT_MARK + content
    return content


def csv_text(cell: str) -> str:
    """Return what a cell written by csv_cell held before it was marked."""
    return cell[1:] if cell.startswith(TEXT_MARK) else cell


def rows(students: List[Student], reports: Dict[str, Report],
         credit: str = "own") -> List[List[str]]:
    """Return the CSV rows: a header, then a row per student.

    credit "own" counts each task's own verdict; "integrated" counts the
    verdict of the student's whole stack.
    """
    key = "integrated_passed" if credit == "integrated" else "passed"
    header = ["student", "submission"] + [
        "task {:02d}".format(item.number) for item in STEPS] + [
        "tasks passed", "score"]
    table = [header]
    for student in students:
        data = reports.get(student.name)
        if data is None:
            # No submission in the folder, or its grading failed.
            status = "not found" if student.submission is None \
                else "not graded"
            table.append([student.name, status] + [""] * len(STEPS)
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
        table.append([student.name, data["submission"]] + [
            verdicts.get(item.number, "") for item in STEPS] + totals)
    return table


def write(book: Gradebook, outputs: Outputs,
          keep_others: Optional[str] = None) -> None:
    """Write the CSV gradebook, JSON reports and HTML page asked for.

    keep_others names the one student regraded: the other rows of an
    earlier CSV are kept as it wrote them.
    """
    if outputs.csv:
        table = rows(book.students, book.reports, book.credit)
        if keep_others is not None:
            earlier = read_csv(outputs.csv)
            table = [table[0]] + [
                row if row[0] == keep_others or row[0] not in earlier
                else earlier[row[0]] for row in table[1:]]
        with open(outputs.csv, "w", newline="") as handle:
            # Every cell quoted, and none starting a formula (OWASP's
            # advice on CSV injection): whatever the spreadsheet's
            # separator, no cell begins inside another one.
            csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(
                [[csv_cell(cell) for cell in row] for row in table])
    if outputs.json:
        data: Dict[str, Any] = {
            "roster": text.one_line(book.roster),
            "students": [{"student": item.name,
                          "folder": text.one_line(str(item.folder)),
                          "report": book.reports.get(item.name)}
                         for item in book.students],
            "not_found": book.not_found}
        data.update(book.versions)
        if book.shard is not None:
            data["shard"] = {"index": book.shard[0], "count": book.shard[1],
                             "class_students": book.class_students}
        if book.similar_pairs is not None:
            data["similar_pairs"] = book.similar_pairs
        outputs.json.write_text(json.dumps(data, indent=2) + "\n")
    if outputs.html:
        outputs.html.write_text(classreport.render(
            text.one_line(book.roster),
            [item.name for item in book.students], book.reports,
            book.similar_pairs), encoding="utf-8")


def read_json(path: Optional[Path]) -> Dict[str, Any]:
    """Return an earlier JSON output as data; empty when there is none."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_reports(path: Optional[Path]) -> Dict[str, Report]:
    """Return the reports stored in an earlier JSON output, by student."""
    return {entry["student"]: entry["report"]
            for entry in read_json(path).get("students", [])
            if isinstance(entry, dict) and entry.get("report")}


def read_csv(path: Optional[Path]) -> Dict[str, List[str]]:
    """Return the rows of an earlier CSV gradebook by student."""
    if path is None or not path.is_file():
        return {}
    with open(path, newline="") as handle:
        table = [[csv_text(cell) for cell in row]
                 for row in csv.reader(handle)]
    return {row[0]: row for row in table[1:] if row}
