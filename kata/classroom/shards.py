#!/usr/bin/env python3
"""A class graded in slices (roster --shard K/N), and the slices joined.

The K-th of N shards is every N-th student by sorted name, from the K-th;
each shard's JSON output says which it is and who the whole class was, so
that roster merge can join the shards into one gradebook and name the
students of a shard that is missing.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from kata.reading import text
from kata.reports.gradebook import Gradebook, Report, Student


class ShardError(ValueError):
    """A shard that cannot be named or merged as asked; says why."""


@dataclass
class Merged:
    """The gradebook joined from shards, and the shards that were missing.

    ungraded names the students of the class that no given shard holds.
    """

    book: Gradebook
    count: int
    missing: List[int] = field(default_factory=list)
    ungraded: List[str] = field(default_factory=list)

    @property
    def warning(self) -> Optional[str]:
        """Return what to tell of the missing shards, or None if none is."""
        if not self.missing:
            return None
        return "missing shard(s): {}{}".format(
            ", ".join("{}/{}".format(index, self.count)
                      for index in self.missing),
            "; not graded: " + ", ".join(self.ungraded)
            if self.ungraded else "")

    @property
    def everyone_passed(self) -> bool:
        """Tell whether no shard is missing and everyone passed."""
        return self.book.everyone_passed and not self.missing


def parse(written: str) -> Tuple[int, int]:
    """Parse K/N (the K-th of N slices, from 1) or raise ShardError."""
    index, _, count = written.partition("/")
    try:
        shard = (int(index), int(count))
    except ValueError:
        raise ShardError("{!r} is not a shard: write K/N, e.g. 1/3".format(
            written))
    if not 1 <= shard[0] <= shard[1]:
        raise ShardError("shard {} does not exist: K/N needs 1 <= K <= "
                         "N".format(written))
    return shard


def in_shard(students: Sequence[Student],
             shard: Optional[Tuple[int, int]]) -> List[Student]:
    """Return the students of a shard: every N-th by sorted name, from K."""
    if shard is None:
        return list(students)
    ordered = sorted(students, key=lambda item: item.name)
    return [item for position, item in enumerate(ordered)
            if position % shard[1] == shard[0] - 1]


def merge(paths: Sequence[Path], credit: str = "own") -> Merged:
    """Join shards' JSON outputs into one gradebook, crediting credit.

    Refuse files that are not shards, shards of different counts or
    graded by different kata or specs, and shards or students given twice;
    a missing shard is no error, but the result says which are.
    """
    shards = [_read(path) for path in paths]
    if not shards:
        raise ShardError("roster merge needs the shards' JSON outputs")
    for key in ("kata", "specs"):
        seen = {data.get(key) for _, data in shards}
        if len(seen) > 1:
            raise ShardError(
                "the shards were graded with different {}: {}".format(
                    "checkers (kata)" if key == "kata" else "specs",
                    ", ".join("{} ({})".format(path, str(data.get(key))[:12])
                              for path, data in shards)))
    counts = {data["shard"]["count"] for _, data in shards}
    if len(counts) > 1:
        raise ShardError("the shards slice the class differently: {}".format(
            ", ".join("{} is {}/{}".format(
                path, data["shard"]["index"], data["shard"]["count"])
                for path, data in shards)))
    count = counts.pop()
    owners: Dict[str, Path] = {}
    indexes: Dict[int, Path] = {}
    students: List[Student] = []
    reports: Dict[str, Report] = {}
    for path, data in shards:
        index = data["shard"]["index"]
        if index in indexes:
            raise ShardError("shard {}/{} is given twice: {} and {}".format(
                index, count, indexes[index], path))
        indexes[index] = path
        for entry in data["students"]:
            name = text.one_line(str(entry["student"]))
            if name in owners:
                raise ShardError("{} is graded in two shards: {} and "
                                 "{}".format(name, owners[name], path))
            owners[name] = path
            found = entry.get("report")
            students.append(Student(name, Path(entry["folder"]),
                                    Path(found["submission"]) if found
                                    else None))
            if found:
                reports[name] = found
    missing = sorted(set(range(1, count + 1)) - set(indexes))
    first = shards[0][1]
    stamps = {key: first[key] for key in ("checker", "kata", "specs")
              if key in first}
    book = Gradebook(first.get("roster", ""),
                     sorted(students, key=lambda item: item.name), reports,
                     credit, stamps)
    ungraded = sorted(set(first["shard"].get("class_students", []))
                      - set(owners)) if missing else []
    return Merged(book, count, missing, ungraded)


def _read(path: Path) -> Tuple[Path, Dict[str, Any]]:
    """Return a shard's JSON output, or raise ShardError saying why not."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ShardError("cannot read {}: {}".format(path, error))
    shard = data.get("shard") if isinstance(data, dict) else None
    if not isinstance(shard, dict) or not isinstance(
            data.get("students"), list):
        raise ShardError("{} is not the JSON output of a roster --shard "
                         "run".format(path))
    return path, data
