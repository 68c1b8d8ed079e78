#!/usr/bin/env python3
"""A student's workspace: create it from the starter, reveal solved steps.

``init --at-step N`` hands out the reference solution of steps 0..N-1 and
nothing of the later ones: each file is the solution's file with the
definitions of the later steps cut out (the list of steps says which
definition belongs to which step), or the starter's file when no earlier
step touches it.
"""
import ast
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from kata.steps import (SOLUTION_DIR, STARTER_DIR, STEPS, SUBMISSION_FILES,
                        Step)

STARTER_README = "README.md"
# Where init --force puts the files it replaces.
BACKUP_FOLDER = ".kata-backup"


def _definition_lines(source: str, qualified: str) -> Tuple[int, int]:
    """Return the first and last line (1-based) of a definition.

    The first line is that of its first decorator; qualified is ``name`` or
    ``Class.name``.
    """
    body = ast.parse(source).body
    *owners, name = qualified.split(".")
    for owner in owners:
        body = next(node.body for node in body
                    if isinstance(node, ast.ClassDef) and node.name == owner)
    node = next(node for node in body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name == name)
    first = min([node.lineno] + [item.lineno for item in node.decorator_list])
    return first, node.end_lineno or node.lineno


def definition_source(file_name: str, qualified: str) -> str:
    """Return the solution's source text of one definition."""
    source = (SOLUTION_DIR / file_name).read_text()
    first, last = _definition_lines(source, qualified)
    return "\n".join(source.splitlines()[first - 1:last]) + "\n"


def _without(source: str, qualified_names: List[str]) -> str:
    """Return source with the given definitions cut out, blank lines too."""
    lines = source.splitlines()
    doomed = set()
    for qualified in qualified_names:
        first, last = _definition_lines(source, qualified)
        start = first - 1
        # Take the blank lines before it, so the spacing stays PEP 8.
        while start > 0 and not lines[start - 1].strip():
            start -= 1
        doomed.update(range(start, last))
    kept = [line for index, line in enumerate(lines) if index not in doomed]
    return "\n".join(kept).rstrip("\n") + "\n"


def files_at_step(number: int) -> Dict[str, str]:
    """Return the workspace files of a student about to start step number."""
    done = [item for item in STEPS if item.number < number]
    later = [item for item in STEPS if item.number >= number]
    files: Dict[str, str] = {}
    for name in SUBMISSION_FILES:
        touched = any(name in item.files for item in done)
        if name == STARTER_README or not touched:
            starter = STARTER_DIR / name
            if starter.is_file():
                files[name] = starter.read_text()
            continue
        cut = [part.split(":", 1)[1] for item in later
               for part in item.solution
               if part.startswith(name + ":")]
        files[name] = _without((SOLUTION_DIR / name).read_text(), cut)
    return files


@dataclass(frozen=True)
class Created:
    """What init wrote, and where the files it replaced were put."""

    written: List[str]
    replaced: List[str]
    backup: Optional[Path]


def init(folder: Path, at_step: int = 0, force: bool = False) -> Created:
    """Create a workspace in folder and say what was written.

    An existing file of the kata is only replaced with force, and even then
    it is first moved into a time-stamped folder under ``.kata-backup/``,
    so a student's work is never lost by mistake.
    """
    files = files_at_step(at_step)
    clashes = [name for name in SUBMISSION_FILES if (folder / name).exists()]
    if clashes and not force:
        raise FileExistsError(
            "{} already holds {}: --force would replace them (your versions "
            "would be kept in {})".format(
                folder, ", ".join(clashes), folder / BACKUP_FOLDER))
    folder.mkdir(parents=True, exist_ok=True)
    backup = None
    if clashes:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        backup = folder / BACKUP_FOLDER / stamp
        backup.mkdir(parents=True)
        for name in clashes:
            (folder / name).rename(backup / name)
    for name, text in files.items():
        path = folder / name
        path.write_text(text)
        if name.endswith(".py"):
            path.chmod(0o755)
    return Created(sorted(files), clashes, backup)


def reveal_text(item: Step) -> str:
    """Return how the reference solution solves a step."""
    chunks = []
    for part in item.solution:
        file_name, _, qualified = part.partition(":")
        if qualified:
            chunks.append("# {}, {}\n{}".format(
                file_name, qualified, definition_source(file_name, qualified)))
        else:
            chunks.append("# {}\n{}".format(
                file_name, (SOLUTION_DIR / file_name).read_text()))
    return "\n".join(chunks)


def failing_checks(folder: Path, item: Step) -> List[str]:
    """Return the names of a step's failing checks; empty when it passes.

    The step's own verdict counts: files, style and spec.
    """
    from kata import grading

    task = grading.grade(folder, [item]).tasks[0]
    return [check.name for check in task.checks if not check.passed]
