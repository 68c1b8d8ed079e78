#!/usr/bin/env python3
"""Check a submission's files against the style rules, problem by problem.

``check_file(folder, name)`` returns every problem of one file of a
submission (``user.py``, ..., ``README.md``); ``check_readme(folder)`` says
whether the submission has a real README (G9). A problem is a
``StyleProblem`` whose message a student can act on, for example
``auth.py:12: function valid_login has no return annotation (G6)``; a
problem of the whole file names the file alone, e.g. ``user.py: the file
is not executable; run chmod +x user.py (G3)``.

Student files are untrusted: a file that is binary, not UTF-8, huge, not a
regular file or not even Python gives problems, never an exception. The
rules that read the syntax tree (G5-G8 and the import part of G10) are
skipped for a file that does not parse.
"""
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from kata.style.kinds import README, FileKind, kind_of
from kata.style.registry import Rule, rules_for
from kata.style.sources import MAX_SOURCE_BYTES, Source

# Past this many problems of one rule in one file, the rest are counted.
MAX_PROBLEMS_PER_RULE = 50


@dataclass(frozen=True)
class StyleProblem:
    """One broken style rule in one file, told in a plain sentence."""

    rule: str
    file: str
    line: int
    message: str


def make_problem(rule: str, name: str, line: int, text: str) -> StyleProblem:
    """Return the problem, its message led by file:line, ending with rule.

    Line 0 stands for the whole file: the message then names the file alone.
    """
    where = "{}:{}".format(name, line) if line > 0 else name
    message = "{}: {} ({})".format(where, text, rule)
    return StyleProblem(rule=rule, file=name, line=line, message=message)


def check_file(folder: Path, name: str, min_doc_words: int = 2,
               kind: Optional[FileKind] = None) -> List[StyleProblem]:
    """Return the problems of one file of the submission in folder.

    The rules applied are those of the file's kind: by default, from its
    name, G1-G8 and G10 for a Python file (G7 in app.py only) and G2 for
    another file, README.md included; kind=FileKind.HELPER gives a helper
    module's G1-G6. A file that does not exist gives no problem: the caller
    reports missing files. The README's own rule, G9, is
    ``check_readme``'s, so that no problem is reported twice.
    """
    if kind is None:
        kind = kind_of(name) if name.endswith(".py") else FileKind.TEXT
    path = Path(folder) / name
    try:
        info = os.stat(str(path))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except (OSError, ValueError) as error:
        return _unreadable(name, "the file cannot be read ({})".format(error))
    if not stat.S_ISREG(info.st_mode):
        return _unreadable(name, "this is not a regular file")
    try:
        with open(str(path), "rb") as stream:
            data = stream.read(MAX_SOURCE_BYTES + 1)
    except OSError as error:
        return _unreadable(name, "the file cannot be read ({})".format(error))
    source = Source(Path(folder), name, kind, data, info.st_mode,
                    min_doc_words)
    return _judge(source, [item for item in rules_for(kind)
                           if item.id != "G9"])


def check_readme(folder: Path) -> List[StyleProblem]:
    """Return the G9 problems of the submission's README.md.

    The README must be a regular file at the submission's root, holding
    UTF-8 text that says something (not only blanks).
    """
    source = Source(Path(folder), README, FileKind.README)
    return _judge(source, rules_for(FileKind.README))


def _judge(source: Source, rules: Sequence[Rule]) -> List[StyleProblem]:
    """Return the problems the rules find in source, by rule then line."""
    problems: List[StyleProblem] = []
    for item in rules:
        findings = sorted(item.check(source), key=lambda found: found[0])
        for line, text in findings[:MAX_PROBLEMS_PER_RULE]:
            problems.append(make_problem(item.id, source.name, line, text))
        hidden = len(findings) - MAX_PROBLEMS_PER_RULE
        if hidden > 0:
            problems.append(make_problem(
                item.id, source.name, 0,
                "and {} more problems of this rule in {}".format(
                    hidden, source.name)))
    return problems


def _unreadable(name: str, text: str) -> List[StyleProblem]:
    """Return the problem of a file whose content cannot be judged."""
    if name == README:
        return []  # check_readme reports it
    rule_id = "G10" if name.endswith(".py") else "G2"
    return [make_problem(rule_id, name, 0, text)]
