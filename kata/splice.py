#!/usr/bin/env python3
"""Charge each bug to the step that owns it: a step's code among the reference.

To judge step N on its own code, the grading runs N's spec on a *spliced*
submission: the reference solution everywhere, except for what step N owns
(its ``solution`` and ``owns`` entries in the list of steps), which is the
student's. Two ways, by what the step owns in a file:

- a definition (``auth.py:Auth.register_user``, ``app.py:AUTH``): the
  solution's file, with that definition replaced by the student's; the
  student's imports and helpers that it uses and the solution lacks come
  along, so a method that calls a helper of its own still runs;
- the whole file (``user.py``), or its statements outside every definition
  (``app.py:<module>``): the student's file, with the definitions that
  other steps own replaced by (or, when missing, added from) the solution's.

The student's other modules of the folder (helpers) are copied as they are.
A splice that cannot be made (the file does not parse, the definition is
missing) says why; the grading then judges the step on the student's whole
stack alone. Only source text is handled here: nothing is imported or run.
"""
import ast
import shutil
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from kata.steps import SOLUTION_DIR, STEPS, SUBMISSION_FILES, Step

MODULE = "<module>"
ROUNDS = 5


class SpliceError(Exception):
    """The step's code cannot be placed among the reference code."""


def owned(step: Step) -> List[str]:
    """Return what a step owns: ``file``, ``file:name``, ``file:<module>``."""
    return [*step.solution, *step.owns]


def _parse(text: str, name: str) -> ast.Module:
    """Parse a module's source, or raise SpliceError saying why not."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise SpliceError("{} does not parse ({})".format(
            name, type(error).__name__)) from None


def _binds(node: ast.stmt) -> List[str]:
    """Return the names a top-level or class-level statement defines."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [target.id for target in node.targets
                if isinstance(target, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0]
                for alias in node.names]
    return []


def _span(node: ast.stmt) -> Tuple[int, int]:
    """Return the first and last line (0-based, inclusive) of a statement."""
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno] + [item.lineno for item in decorators])
    return first - 1, (node.end_lineno or node.lineno) - 1


def _find(tree: ast.Module, qualified: str) -> Optional[ast.stmt]:
    """Return the statement that defines name or Class.name, if any."""
    *owners, name = qualified.split(".")
    body: List[ast.stmt] = tree.body
    for owner in owners:
        found = [node for node in body
                 if isinstance(node, ast.ClassDef) and node.name == owner]
        if not found:
            return None
        body = found[-1].body
    matches = [node for node in body if name in _binds(node)
               and not isinstance(node, (ast.Import, ast.ImportFrom))]
    return matches[-1] if matches else None


def _block(lines: List[str], node: ast.stmt) -> List[str]:
    """Return the lines of a statement, dedented."""
    first, last = _span(node)
    return textwrap.dedent("\n".join(lines[first:last + 1])).splitlines()


def _indented(block: List[str], indent: str) -> List[str]:
    """Indent a dedented block."""
    return [indent + line if line.strip() else line for line in block]


def _replace(text: str, name: str, qualified: str,
             block: List[str]) -> str:
    """Put block in place of qualified's definition in text, or add it."""
    tree = _parse(text, name)
    lines = text.splitlines()
    node = _find(tree, qualified)
    *owners, _ = qualified.split(".")
    if node is not None:
        first, last = _span(node)
        indent = lines[node.lineno - 1][:node.col_offset]
        return "\n".join(lines[:first] + _indented(block, indent)
                         + lines[last + 1:]) + "\n"
    if not owners:
        return "\n".join(lines + ["", ""] + block) + "\n"
    owner = _find(tree, ".".join(owners))
    if not isinstance(owner, ast.ClassDef):
        raise SpliceError("{} has no class {}".format(name, owners[-1]))
    _, last = _span(owner)
    indent = " " * (owner.col_offset + 4)
    return "\n".join(lines[:last + 1] + [""] + _indented(block, indent)
                     + lines[last + 1:]) + "\n"


def _used_names(node: ast.AST) -> Tuple[Set[str], Set[str]]:
    """Return the names a definition reads, and the attributes of self."""
    names: Set[str] = set()
    attributes: Set[str] = set()
    for item in ast.walk(node):
        if isinstance(item, ast.Name):
            names.add(item.id)
        elif isinstance(item, ast.Attribute) and \
                isinstance(item.value, ast.Name) and item.value.id in (
                    "self", "cls"):
            attributes.add(item.attr)
    return names, attributes


def _with_definitions(solution: str, student: str, name: str,
                      wanted: List[str]) -> str:
    """Return the solution's file with the student's wanted definitions.

    The student's imports and helpers that those definitions use, directly
    or through each other, and that the solution lacks, come along.
    """
    student_tree = _parse(student, name)
    student_lines = student.splitlines()
    text = solution
    pending = list(wanted)
    done: Set[str] = set()
    for _ in range(ROUNDS):
        if not pending:
            break
        used: Set[str] = set()
        helpers: Set[str] = set()
        for qualified in pending:
            node = _find(student_tree, qualified)
            if node is None:
                raise SpliceError("{} has no {}".format(name, qualified))
            text = _replace(text, name, qualified,
                            _block(student_lines, node))
            done.add(qualified)
            names, attributes = _used_names(node)
            used |= names
            owner = qualified.rsplit(".", 1)[0] if "." in qualified else ""
            helpers |= {owner + "." + attribute for attribute in attributes
                        if owner}
        tree = _parse(text, name)
        defined = {bound for node in tree.body for bound in _binds(node)}
        pending = []
        for node in student_tree.body:
            missing = [bound for bound in _binds(node)
                       if bound in used and bound not in defined]
            if not missing:
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                text = _with_import(text, name, _block(student_lines, node))
            elif missing[0] not in done:
                pending.append(missing[0])
        for qualified in sorted(helpers - done):
            if _find(tree, qualified) is None and \
                    _find(student_tree, qualified) is not None:
                pending.append(qualified)
    return text


def _with_import(text: str, name: str, block: List[str]) -> str:
    """Add an import statement after the last top-level import of text."""
    tree = _parse(text, name)
    lines = text.splitlines()
    imports = [node for node in tree.body
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    at = _span(imports[-1])[1] + 1 if imports else 0
    if not imports and tree.body and isinstance(tree.body[0], ast.Expr):
        at = _span(tree.body[0])[1] + 1
    return "\n".join(lines[:at] + block + lines[at:]) + "\n"


def _student_with_reference(solution: str, student: str, name: str,
                            others: List[str]) -> str:
    """Return the student's file with other steps' definitions replaced."""
    solution_tree = _parse(solution, name)
    solution_lines = solution.splitlines()
    text = student
    for qualified in others:
        node = _find(solution_tree, qualified)
        if node is None:
            continue
        try:
            text = _replace(text, name, qualified,
                            _block(solution_lines, node))
        except SpliceError:
            continue  # no class to put it in: this step cannot need it
    return text


def spliced_files(step: Step, student: Path,
                  solution: Path = SOLUTION_DIR) -> Dict[str, str]:
    """Return the files of step's spliced submission, by name.

    Raise SpliceError when the step's code cannot be placed among the
    reference code.
    """
    mine = owned(step)
    files: Dict[str, str] = {}
    for name in SUBMISSION_FILES:
        reference = solution / name
        if not reference.is_file():
            continue
        parts = [part.split(":", 1)[1] for part in mine
                 if part.startswith(name + ":")]
        if name not in mine and not parts:
            files[name] = reference.read_text()
            continue
        source = student / name
        if not source.is_file():
            raise SpliceError("{} is missing".format(name))
        try:
            student_text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise SpliceError("{} cannot be read as UTF-8 text".format(
                name)) from None
        if name in mine or MODULE in parts:
            others = [part.split(":", 1)[1] for other in STEPS
                      if other.number != step.number
                      for part in owned(other)
                      if part.startswith(name + ":")
                      and not part.endswith(MODULE)]
            files[name] = _student_with_reference(
                reference.read_text(), student_text, name, others)
        else:
            files[name] = _with_definitions(
                reference.read_text(), student_text, name, parts)
    return files


def write_spliced(step: Step, student: Path, destination: Path,
                  extra_modules: Sequence[str] = ()) -> None:
    """Write step's spliced submission into destination.

    extra_modules, the student's helper modules, are copied as they are.
    Raise SpliceError when the splice cannot be made.
    """
    files = spliced_files(step, student)
    destination.mkdir(parents=True)
    for name, text in files.items():
        (destination / name).write_text(text)
    for name in extra_modules:
        if (student / name).is_file() and name not in files:
            shutil.copyfile(str(student / name), str(destination / name))
