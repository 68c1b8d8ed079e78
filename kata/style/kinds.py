#!/usr/bin/env python3
"""The kinds of file of a submission, which decide the style rules applied.

A file's kind comes from its name: app.py, another Python file of the
exercise, the README.md at the submission's root, any other file; a module
of the folder that the exercise's files import is a helper.
"""
import enum

README = "README.md"


class FileKind(enum.Enum):
    """The kinds of file of a submission, which decide the rules applied."""

    APP = "app.py, the Flask app"
    MODULE = "another Python file of the exercise"
    HELPER = "a module of the folder that the exercise files import"
    README = "the README.md at the submission's root"
    TEXT = "another file that is not Python"


# The Python files; the exercise's own ones (helpers get G1-G6 only: the
# rules about Auth, DB and SQLAlchemy concern the exercise's modules).
PYTHON = frozenset({FileKind.APP, FileKind.MODULE, FileKind.HELPER})
EXERCISE_PYTHON = frozenset({FileKind.APP, FileKind.MODULE})


def kind_of(name: str, helper: bool = False) -> FileKind:
    """Return the kind of the submission file name, a helper module or not.

    README.md is of kind README here: the kind of the submission's README
    that check_readme judges (check_file reads any other file as TEXT).
    """
    if name == README:
        return FileKind.README
    if not name.endswith(".py"):
        return FileKind.TEXT
    if helper:
        return FileKind.HELPER
    return FileKind.APP if name == "app.py" else FileKind.MODULE
