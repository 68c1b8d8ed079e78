#!/usr/bin/env python3
"""A student's workspace: create it from the starter, reveal solved steps.

``init --at-step N`` hands out the reference solution of steps 0..N-1 and
nothing of the later ones: each file is the solution's file with the
definitions of the later steps cut out (the list of steps says which
definition belongs to which step), or the starter's file when no earlier
step touches it.

``reveal N`` shows the reference's code of a passed step, then the other
right ways the kata knows for it: each alternative whose splice changes the
step's own code, with its ``about``, its ``tradeoff`` and a short diff of
that code against the reference.
"""
import ast
import datetime
import difflib
import tempfile
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from kata import overlays, splice
from kata.ownership import FileOwners
from kata.steps import (SOLUTION_DIR, STARTER_DIR, STEPS, SUBMISSION_FILES,
                        Step)

STARTER_README = "README.md"
# An approach's diff is a glance at what differs, not a second solution:
# past this many lines the rest is counted, not shown.
MAX_DIFF_LINES = 40
WIDTH = 79
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
    """Return how the reference solves a step, then the other right ways."""
    chunks = []
    for part in item.solution:
        file_name, _, qualified = part.partition(":")
        if qualified:
            chunks.append("# {}, {}\n{}".format(
                file_name, qualified, definition_source(file_name, qualified)))
        else:
            chunks.append("# {}\n{}".format(
                file_name, (SOLUTION_DIR / file_name).read_text()))
    chunks.append(approaches_text(item))
    return "\n".join(chunks)


@dataclass(frozen=True)
class Approach:
    """Another right way to write a step's code, taken from an alternative."""

    name: str
    about: str
    tradeoff: str
    diff: Tuple[str, ...]


@lru_cache(maxsize=None)
def approaches(number: int) -> Tuple[Approach, ...]:
    """Return the alternatives that change step number's own code.

    The splice decides: an alternative concerns the steps whose spliced
    submission (the reference, with that step's code taken from the
    alternative) is not the reference, so no list is kept by hand.
    """
    item = next(candidate for candidate in STEPS
                if candidate.number == number)
    found = []
    with tempfile.TemporaryDirectory() as scratch:
        for alternative in overlays.load("alternatives"):
            folder = alternative.apply(Path(scratch) / alternative.name)
            changed = {name: text for name, text in
                       splice.spliced_files(item, folder).items()
                       if text != (SOLUTION_DIR / name).read_text()}
            if changed:
                found.append(Approach(
                    alternative.name, alternative.about,
                    alternative.tradeoff or "",
                    _step_diff(number, alternative.name, changed)))
    return tuple(found)


def _step_diff(number: int, label: str,
               spliced: Dict[str, str]) -> Tuple[str, ...]:
    """Return a unified diff of a step's own code against the reference."""
    lines: List[str] = []
    for name in sorted(spliced):
        reference = (SOLUTION_DIR / name).read_text()
        lines += difflib.unified_diff(
            reference.splitlines(),
            _only_the_steps_changes(number, name, reference, spliced[name]),
            "solution/" + name, "{}/{}".format(label, name), n=1,
            lineterm="")
    if len(lines) > MAX_DIFF_LINES:
        shown = lines[:MAX_DIFF_LINES]
        # A hunk's header without its lines would only puzzle.
        while shown[-1].startswith("@@"):
            shown.pop()
        lines = shown + ["... ({} more line(s) of diff)".format(
            len(lines) - len(shown))]
    return tuple(lines)


def _only_the_steps_changes(number: int, name: str, reference: str,
                            spliced: str) -> List[str]:
    """Return the reference's lines with only the step's changes made.

    The splice also renames the reference's views to the alternative's
    names, which is other steps' code: a change inside a function that
    another step owns is left out. A change outside every function (an
    import, a constant the step's code uses) is the step's, since the
    splice brings it only for that code.
    """
    old, new = reference.splitlines(), spliced.splitlines()
    owners_old, owners_new = FileOwners(name, reference), \
        FileOwners(name, spliced)
    kept: List[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, old_first, old_end, new_first, new_end in matcher.get_opcodes():
        mine = tag == "equal" or any(
            _belongs(owners_old, line, number)
            for line in range(old_first + 1, old_end + 1)) or any(
            _belongs(owners_new, line, number)
            for line in range(new_first + 1, new_end + 1))
        kept += new[new_first:new_end] if mine else old[old_first:old_end]
    return kept


def _belongs(owners: FileOwners, line: int, number: int) -> bool:
    """Tell whether a line (1-based) is step number's or no function's."""
    in_a_function = any(definition.is_function and
                        definition.first <= line <= definition.last
                        for definition in owners.definitions)
    return not in_a_function or owners.step_at(line) == number


def approaches_text(item: Step) -> str:
    """Return the other right ways of a step, or one line saying none."""
    found = approaches(item.number)
    if not found:
        return "# No other right way of step {:02d} is in the kata yet: " \
            "the reference above is the one it knows.\n".format(item.number)
    text = ["# Other right ways of step {:02d} (every spec accepts them):"
            .format(item.number)]
    for approach in found:
        text += ["", *textwrap.wrap(
            "{}: {}.".format(approach.name, approach.about.rstrip(".")),
            WIDTH, initial_indent="* ", subsequent_indent="  ")]
        text += textwrap.wrap(" ".join(approach.tradeoff.split()), WIDTH,
                              initial_indent="  Trade-off: ",
                              subsequent_indent="  ")
        text += ["    " + line for line in approach.diff]
    return "\n".join(text) + "\n"


def failing_checks(folder: Path, item: Step) -> List[str]:
    """Return the names of a step's failing checks; empty when it passes.

    The step's own verdict counts: files, style and spec.
    """
    from kata import grading

    task = grading.grade(folder, [item]).tasks[0]
    return [check.name for check in task.checks if not check.passed]
