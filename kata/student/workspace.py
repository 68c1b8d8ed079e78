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
from typing import Dict, List, NamedTuple, Optional, Tuple

from kata.catalogue import overlays
from kata.catalogue.steps import (SOLUTION_DIR, STARTER_DIR, STEPS,
                                  SUBMISSION_FILES, Step)
from kata.reading import splice
from kata.reading.ownership import FileOwners

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
    """Return a unified diff of a step's own code against the reference.

    Only the step's lines take part, on both sides (see _own_lines): the
    splice also renames other steps' views and moves the reference's
    helpers, and a context line of another step's code would show a step
    the student may not have solved. Hunk headers give the lines' places
    in the whole files; ``...`` marks where other code is skipped.
    """
    lines: List[str] = []
    for name in sorted(spliced):
        reference = (SOLUTION_DIR / name).read_text()
        old = _own_lines(number, name, reference)
        new = _own_lines(number, name, spliced[name])
        matcher = difflib.SequenceMatcher(
            None, [line.text for line in old], [line.text for line in new],
            autojunk=False)
        groups = list(matcher.get_grouped_opcodes(1))
        if groups:
            lines += ["--- solution/" + name,
                      "+++ {}/{}".format(label, name)]
        for group in groups:
            lines.append("@@ -{} +{} @@".format(
                old[group[0][1]].place if group[0][1] < len(old) else "end",
                new[group[0][3]].place if group[0][3] < len(new) else "end"))
            lines += _hunk(group, old, new)
    if len(lines) > MAX_DIFF_LINES:
        shown = lines[:MAX_DIFF_LINES]
        # A hunk's header without its lines would only puzzle.
        while shown[-1].startswith(("@@", "---", "+++")):
            shown.pop()
        lines = shown + ["... ({} more line(s) of diff)".format(
            len(lines) - len(shown))]
    return tuple(lines)


class OwnLine(NamedTuple):
    """A line of a step's own code, where it is, and what comes before it.

    after_skipped: code that is not the step's lies between this line and
    the step's line before it (blank lines do not count).
    """

    place: int
    text: str
    after_skipped: bool = False


def _hunk(group: List[Tuple[str, int, int, int, int]],
          old: List[OwnLine], new: List[OwnLine]) -> List[str]:
    """Return the lines of one hunk, with ``...`` where code is skipped."""
    lines: List[str] = []
    for tag, old_first, old_end, new_first, new_end in group:
        if tag == "equal":
            marked = [(" ", old[index], new[new_first + index - old_first])
                      for index in range(old_first, old_end)]
        else:
            marked = [("-", old[index], None)
                      for index in range(old_first, old_end)]
            added = [("+", None, new[index])
                     for index in range(new_first, new_end)]
            if marked and added:
                # The lines replaced already stand after the same gap.
                first = added[0][2]
                added[0] = ("+", None, first._replace(after_skipped=False))
            marked += added
        for sign, before, after in marked:
            if lines and lines[-1] != "..." and any(
                    line is not None and line.after_skipped
                    for line in (before, after)):
                lines.append("...")
            lines.append(sign + (before or after or OwnLine(0, "")).text)
    return lines


def _own_lines(number: int, name: str, text: str) -> List[OwnLine]:
    """Return the lines of a file that are step number's.

    A line inside a function is the step's when the step owns that
    function (by name, by route, or as a helper its code uses); a line
    outside every function (an import, a constant) is everyone's, so it
    takes part: the splice changes it only for the step's code. Blank
    lines between functions are left out, or the spacing around skipped
    functions would read as changes.
    """
    owners = FileOwners(name, text)
    functions = [definition for definition in owners.definitions
                 if definition.is_function]
    own: List[OwnLine] = []
    skipped = False
    for place, line in enumerate(text.splitlines(), 1):
        if any(definition.first <= place <= definition.last
               for definition in functions):
            mine = owners.step_at(place) == number
        else:
            mine = bool(line.strip())
        if mine:
            own.append(OwnLine(place, line, skipped))
            skipped = False
        elif line.strip():
            skipped = True
    return own


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
    from kata.grading import grader

    task = grader.grade(folder, [item]).tasks[0]
    return [check.name for check in task.checks if not check.passed]
