#!/usr/bin/env python3
"""What a regrade changed in the gradebook, shown or kept in a history.

roster --only NAME regrades one student: their row before and after is
appended to the history, a file of JSON Lines beside the gradebook;
with --dry-run, the changes are only shown. The row before is the earlier
CSV gradebook's, else the one the earlier JSON output gives.
"""
import datetime
import json
from pathlib import Path
from typing import Dict, List, Optional

from kata.reading import text
from kata.reports import gradebook
from kata.reports.gradebook import Gradebook, Outputs

SUFFIX = ".history.jsonl"


def file_for(outputs: Outputs) -> Optional[Path]:
    """Return the regrade history's file, beside the gradebook."""
    base = outputs.csv or outputs.json
    return None if base is None else Path(str(base) + SUFFIX)


def _earlier_rows(book: Gradebook, outputs: Outputs) -> Dict[str, List[str]]:
    """Return the earlier gradebook's rows: from its CSV, else its JSON."""
    rows = gradebook.read_csv(outputs.csv)
    if rows:
        return rows
    earlier = gradebook.read_reports(outputs.json)
    known = [item for item in book.students if item.name in earlier]
    return {row[0]: row
            for row in gradebook.rows(known, earlier, book.credit)[1:]}


def _changes(header: List[str], old: Optional[List[str]],
             new: List[str]) -> List[str]:
    """Return each column of a row that changed, as "column: old -> new"."""
    if old is None:
        return ["not in the earlier gradebook"]
    return ["{}: {} -> {}".format(column, before or "-", after or "-")
            for column, before, after in zip(header[1:], old[1:], new[1:])
            if before != after]


def differences(book: Gradebook, names: List[str], outputs: Outputs) -> str:
    """Return, per regraded student, how their row would change."""
    rows = gradebook.rows(book.students, book.reports, book.credit)
    header, new = rows[0], {row[0]: row for row in rows[1:]}
    earlier = _earlier_rows(book, outputs)
    lines = ["Dry run: nothing was written."]
    for name in names:
        changed = _changes(header, earlier.get(name), new[name])
        lines.append(text.one_line("{}: {}".format(
            name, "; ".join(changed) if changed else "unchanged")))
    return "\n".join(lines)


def record_regrade(book: Gradebook, name: str, outputs: Outputs) -> None:
    """Append a regrade's old and new row to the history (JSON Lines).

    The history is a file of its own, only ever appended to, so that a
    later full regrade, which rewrites the gradebook, cannot lose it.
    """
    rows = gradebook.rows(book.students, book.reports, book.credit)
    header, new = rows[0], {row[0]: row for row in rows[1:]}[name]
    old = _earlier_rows(book, outputs).get(name)
    earlier = gradebook.read_json(outputs.json)
    record = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "student": name, "checker": book.versions.get("checker"),
        "kata": book.versions.get("kata"),
        "specs": book.versions.get("specs"),
        "earlier_specs": earlier.get("specs"),
        "old": None if old is None else dict(zip(header, old)),
        "new": dict(zip(header, new)),
        "changes": _changes(header, old, new)}
    path = file_for(outputs)
    assert path is not None
    with open(str(path), "a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
