#!/usr/bin/env python3
"""Whether the student has written any of a step's code.

A step's code is what it owns in the list of steps (its ``solution`` and
``owns`` entries, kata/catalogue/steps.py) beyond what the starter hands out: a
whole file the starter lacks, a definition the starter's file lacks, a
view found by its route and methods (its function's name is the student's
choice) or by the reference's name. A file that does not parse is searched
as text. ``status`` tells a step not started from one failing by it, and
the grading does not judge a step's code among the reference when there
is none of it: such a run can only fail.
"""
import ast
import re
from pathlib import Path
from typing import Optional, Set

from kata.catalogue.steps import SOLUTION_DIR, STARTER_DIR, Step
from kata.reading.advice import read_source
from kata.reading.routes import Route, view_routes
from kata.reading.splice import MODULE


def _read(path: Path) -> Optional[str]:
    """Return a file's text, or None when it is missing or unreadable.

    The folder is the student's: a link, a FIFO or an oversized file is
    not read (kata.reading.advice.read_source reads the same way).
    """
    return read_source(path)


def _tree(text: Optional[str]) -> Optional[ast.Module]:
    """Return the parsed module, or None when there is none or it fails."""
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _binds(node: ast.stmt, name: str) -> bool:
    """Tell whether a statement defines name (a def, class or assignment)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef)):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(isinstance(target, ast.Name) and target.id == name
                   for target in node.targets)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    return False


def _defines(tree: ast.Module, qualified: str) -> bool:
    """Tell whether a module defines name or Class.name at its top."""
    *owners, name = qualified.split(".")
    bodies = [tree.body]
    for owner in owners:
        bodies = [node.body for body in bodies for node in body
                  if isinstance(node, ast.ClassDef) and node.name == owner]
    return any(_binds(node, name) for body in bodies for node in body)


def _routes(tree: ast.Module, name: Optional[str] = None) -> Set[Route]:
    """Return what a module's views serve (the view name's, if given)."""
    return {route for node in tree.body
            if name in (None, getattr(node, "name", None))
            for route in view_routes(node)}


def _has(folder: Path, entry: str) -> bool:
    """Tell whether a submission folder holds one owned entry.

    A file that does not parse is searched as text: a line that starts
    the definition, or a route of the reference's view.
    """
    file_name, _, qualified = entry.partition(":")
    text = _read(folder / file_name)
    if text is None:
        return False
    if not qualified or qualified == MODULE:
        return True
    tree = _tree(text)
    reference = _tree(_read(SOLUTION_DIR / file_name))
    views = _routes(reference, qualified) if reference else set()
    if tree is None:
        name = re.escape(qualified.rsplit(".", 1)[-1])
        # Horizontal blanks only: a \s* at every line start of a file of
        # blank lines would make the search quadratic.
        return bool(re.search(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+"
                              r"{0}\b|^[ \t]*{0}[ \t]*[:=]".format(name),
                              text, re.M)
                    or any(re.search(r"\.\w+\([ \t]*[\"']{}[\"']".format(
                        re.escape(path)), text) for path, _ in views))
    return _defines(tree, qualified) or bool(views & _routes(tree))


def started(step: Step, folder: Path) -> bool:
    """Tell whether the student wrote any of the code that step owns.

    What the starter hands out (the DB and Auth skeletons) does not count,
    so an untouched workspace has not started any step.
    """
    return any(_has(folder, entry) and not _has(STARTER_DIR, entry)
               for entry in (*step.solution, *step.owns))
