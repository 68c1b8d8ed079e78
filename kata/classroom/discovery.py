#!/usr/bin/env python3
"""Finding a class's submissions in its folder, and naming the students.

Each sub-folder of the class folder is one student. Their submission may
sit deeper (e.g. ``alx-backend-user-data/0x03-user_authentication_service``):
it is the shallowest folder holding the exercise's files.

A student's name is their folder's name, which is data like any other: it
is escaped (text.one_line) before it reaches any output.
"""
from pathlib import Path
from typing import List, Optional, Sequence

from kata.catalogue.steps import SUBMISSION_FILES
from kata.reading import text
from kata.reports.gradebook import Student

SEARCH_DEPTH = 4
# Folders that never hold a submission and may be huge.
SKIPPED_FOLDERS = {"__pycache__", "node_modules", "venv", ".venv", "env",
                   "site-packages", ".git"}
PYTHON_FILES = [name for name in SUBMISSION_FILES if name.endswith(".py")]


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
    folders = [folder for folder in sorted(roster.iterdir())
               if folder.is_dir() and not folder.name.startswith(".")]
    names = shown_names([folder.name for folder in folders])
    return sorted((Student(name, folder, find_submission(folder))
                   for name, folder in zip(names, folders)),
                  key=lambda item: item.name)


def shown_names(raw: Sequence[str]) -> List[str]:
    """Return folder names as outputs show them: escaped, and distinct.

    Two names that escape alike (a real escape character, and its
    spelling typed out) are told apart by a number, in a fixed order.
    """
    taken: set = set()
    shown = []
    for name in raw:
        escaped = candidate = text.one_line(name)
        number = 1
        while candidate in taken:
            number += 1
            candidate = "{} ({})".format(escaped, number)
        taken.add(candidate)
        shown.append(candidate)
    return shown
