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
import difflib
import re
import shutil
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from kata.catalogue.steps import SOLUTION_DIR, STEPS, SUBMISSION_FILES, Step
from kata.reading.routes import view_routes as _routes

MODULE = "<module>"
ROUNDS = 5
# The longest file whose lines line_map matches (a real one has hundreds).
MAX_MAPPED_LINES = 3000
# A place in a message: "auth.py:38".
PLACE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*\.py):(\d+)\b")


class SpliceError(Exception):
    """The step's code cannot be placed among the reference code."""


def owned(step: Step) -> List[str]:
    """Return what a step owns: ``file``, ``file:name``, ``file:<module>``."""
    return [*step.solution, *step.owns]


def _parse(text: str, name: str) -> ast.Module:
    """Parse a module's source, or raise SpliceError saying why not."""
    try:
        return ast.parse(text)
    except SyntaxError as error:
        raise SpliceError("{} does not parse (SyntaxError at {}:{})".format(
            name, name, error.lineno or 1)) from None
    except (ValueError, RecursionError, MemoryError) as error:
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


def _find(tree: ast.Module, qualified: str,
          like: Optional[ast.stmt] = None) -> Optional[ast.stmt]:
    """Return the statement that defines name or Class.name, if any.

    With like, the reference's definition of the same thing, a view
    function is found by its routes: its name is the student's choice,
    its path and method are not. A function of that name that routes
    something else is not it.
    """
    *owners, name = qualified.split(".")
    body: List[ast.stmt] = tree.body
    for owner in owners:
        found = [node for node in body
                 if isinstance(node, ast.ClassDef) and node.name == owner]
        if not found:
            return None
        body = found[-1].body
    routes = _routes(like) if like is not None else frozenset()
    if routes:
        views = [node for node in body if _routes(node) & routes]
        if views:
            return views[-1]
    matches = [node for node in body if name in _binds(node)
               and not isinstance(node, (ast.Import, ast.ImportFrom))
               and not (routes and _routes(node))]
    return matches[-1] if matches else None


def _renamed_views(text: str, name: str, student: ast.Module) -> str:
    """Return reference text whose views take the student's names.

    A view of text whose route and method a student's view serves is
    renamed to that view's name, and so are the ``url_for`` calls that
    name it: reference code then builds the student's URLs, and spliced
    student code finds its own endpoint names.
    """
    tree = _parse(text, name)
    lines = text.splitlines()
    renames: Dict[str, str] = {}
    for node in tree.body:
        theirs = _find(student, getattr(node, "name", ""), like=node) \
            if _routes(node) else None
        if isinstance(theirs, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and theirs.name != node.name:
            renames[node.name] = theirs.name
            at = node.lineno - 1
            lines[at] = re.sub(r"\bdef\s+{}\b".format(re.escape(node.name)),
                               "def " + theirs.name, lines[at], count=1)
    if not renames:
        return text
    pattern = re.compile(r"""(url_for\(\s*)(['"])({})\2""".format(
        "|".join(re.escape(old) for old in renames)))
    return pattern.sub(
        lambda match: "{}{}{}{}".format(match.group(1), match.group(2),
                                        renames[match.group(3)],
                                        match.group(2)),
        "\n".join(lines)) + "\n"


def _block(lines: List[str], node: ast.stmt) -> List[str]:
    """Return the lines of a statement, dedented."""
    first, last = _span(node)
    return textwrap.dedent("\n".join(lines[first:last + 1])).splitlines()


def _indented(block: List[str], indent: str) -> List[str]:
    """Indent a dedented block."""
    return [indent + line if line.strip() else line for line in block]


def _replace(text: str, name: str, qualified: str,
             block: List[str], like: Optional[ast.stmt] = None) -> str:
    """Put block in place of qualified's definition in text, or add it.

    like, the reference's definition, finds a view by its routes.
    """
    tree = _parse(text, name)
    lines = text.splitlines()
    node = _find(tree, qualified, like)
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
    reference_tree = _parse(solution, name)
    text = _renamed_views(solution, name, student_tree)
    pending = list(wanted)
    done: Set[str] = set()
    for _ in range(ROUNDS):
        if not pending:
            break
        used: Set[str] = set()
        helpers: Set[str] = set()
        for qualified in pending:
            like = _find(reference_tree, qualified)
            node = _find(student_tree, qualified, like)
            if node is None:
                raise SpliceError("{} has no {}".format(
                    name, _described(qualified, like)))
            if _is_value(node) and "." not in qualified and \
                    _find(_parse(text, name), qualified) is None:
                # A constant or alias may be read when a class is built.
                text = _with_import(text, name, _block(student_lines, node))
            else:
                text = _replace(text, name, qualified,
                                _block(student_lines, node), like)
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


def _is_value(node: ast.stmt) -> bool:
    """Tell whether a top-level statement binds a value, not a definition."""
    return isinstance(node, (ast.Assign, ast.AnnAssign))


def _with_import(text: str, name: str, block: List[str]) -> str:
    """Add a statement after the last top-level import of text.

    Imports go there, and so do constants and aliases, which the module's
    classes may read while they are built.
    """
    tree = _parse(text, name)
    lines = text.splitlines()
    imports = [node for node in tree.body
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    at = _span(imports[-1])[1] + 1 if imports else 0
    if not imports and tree.body and isinstance(tree.body[0], ast.Expr):
        at = _span(tree.body[0])[1] + 1
    return "\n".join(lines[:at] + block + lines[at:]) + "\n"


def _student_with_reference(solution: str, student: str, name: str,
                            others: List[str], mine: Set[str]) -> str:
    """Return the student's file with other steps' definitions replaced.

    The reference's definitions take the names of the student's views they
    replace, and bring the reference's imports and module-level helpers
    that they use and the student's file lacks, but never one of mine, the
    top-level names the step being judged owns: missing, they stay so.
    """
    student_tree = _parse(student, name)
    reference_tree = _parse(solution, name)
    renamed = _renamed_views(solution, name, student_tree)
    renamed_tree = _parse(renamed, name)
    renamed_lines = renamed.splitlines()
    text = student
    inserted: List[ast.stmt] = []
    for qualified in others:
        like = _find(reference_tree, qualified)
        node = _find(renamed_tree, qualified, like)
        if node is None:
            continue
        try:
            text = _replace(text, name, qualified,
                            _block(renamed_lines, node), like)
        except SpliceError:
            continue  # no class to put it in: this step cannot need it
        inserted.append(node)
    return _with_reference_names(text, name, renamed_tree, renamed_lines,
                                 inserted, mine)


def _with_reference_names(text: str, name: str, reference: ast.Module,
                          reference_lines: List[str],
                          inserted: List[ast.stmt], mine: Set[str]) -> str:
    """Add the reference's top-level names that inserted code needs.

    An import brings only the names needed; a helper function or constant
    of the reference comes whole, with what it needs in turn. A name the
    file defines already is the file's own and is left alone.
    """
    wanted: Set[str] = set()
    for node in inserted:
        wanted |= _used_names(node)[0]
    added: Set[str] = set()
    for _ in range(ROUNDS):
        tree = _parse(text, name)
        defined = {bound for node in tree.body for bound in _binds(node)}
        missing = wanted - defined - added - mine
        if not missing:
            break
        wanted = set()
        for node in reference.body:
            needed = [bound for bound in _binds(node) if bound in missing]
            if not needed:
                continue
            added.update(needed)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                text = _with_import(text, name, [_import_of(node, needed)])
            elif _is_value(node):
                text = _with_import(text, name,
                                    _block(reference_lines, node))
                wanted |= _used_names(node)[0]
            else:
                block = _block(reference_lines, node)
                text = "\n".join(text.splitlines() + ["", ""] + block) + "\n"
                wanted |= _used_names(node)[0]
    return text


def _import_of(node: ast.stmt, names: List[str]) -> str:
    """Return an import statement of node that binds only names."""
    aliases = [alias for alias in getattr(node, "names", [])
               if (alias.asname or alias.name).split(".")[0] in names]
    spelled = ", ".join(
        alias.name + (" as " + alias.asname if alias.asname else "")
        for alias in aliases)
    if isinstance(node, ast.ImportFrom):
        return "from {}{} import {}".format("." * node.level,
                                            node.module or "", spelled)
    return "import " + spelled


def _described(qualified: str, like: Optional[ast.stmt]) -> str:
    """Name what a step owns: a view by its route, the rest by name."""
    routes = sorted(_routes(like)) if like is not None else []
    if routes:
        return "view for " + ", ".join(
            "{} {}".format(method, path) for path, method in routes)
    return qualified


def _without_broken_definitions(text: str, name: str, solution: str,
                                step: Step) -> str:
    """Return text with other steps' definitions that do not parse replaced.

    A syntax error inside a definition another step owns is that step's
    bug: the reference's definition takes its place, so this step can
    still be judged on its own code. An error in this step's code, or
    outside every definition, leaves the file as it is (it then does not
    parse, and says so).
    """
    mine = {part.split(":", 1)[1] for part in owned(step)
            if part.startswith(name + ":")}
    reference = _parse(solution, name)
    reference_lines = solution.splitlines()
    for _ in range(ROUNDS):
        try:
            ast.parse(text)
            return text
        except SyntaxError as error:
            lines = text.splitlines()
            found = _enclosing_definition(lines, (error.lineno or 1) - 1)
        except (ValueError, RecursionError, MemoryError):
            return text
        if found is None:
            return text
        qualified, first, last = found
        node = _find(reference, qualified)
        if qualified in mine or node is None:
            return text
        indent = re.match(r"\s*", lines[first]).group()
        text = "\n".join(lines[:first]
                         + _indented(_block(reference_lines, node), indent)
                         + lines[last + 1:]) + "\n"
    return text


DEFINITION = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+(\w+)")


def _enclosing_definition(lines: List[str], at: int
                          ) -> Optional[Tuple[str, int, int]]:
    """Find, by indentation alone, the definition holding line at.

    Return its qualified name (``Class.method`` for a method) and its
    first line (decorators included) and last line, 0-based; None when
    the line is outside every function. The file does not parse, so its
    syntax tree cannot say.
    """
    at = min(at, len(lines) - 1)
    for start in range(at, -1, -1):
        match = DEFINITION.match(lines[start])
        if not match or match.group(2) != "def":
            continue
        depth = len(match.group(1))
        end = start
        for index in range(start + 1, len(lines)):
            stripped = lines[index].strip()
            if stripped and not stripped.startswith("#") and \
                    len(lines[index]) - len(lines[index].lstrip()) <= depth:
                break
            end = index
        if end < at:
            return None
        while end > start and not lines[end].strip():
            end -= 1
        first = start
        while first > 0 and lines[first - 1].strip().startswith("@"):
            first -= 1
        qualified = match.group(3)
        for above in range(start - 1, -1, -1):
            outer = DEFINITION.match(lines[above])
            if outer and len(outer.group(1)) < depth:
                if outer.group(2) == "class":
                    qualified = outer.group(3) + "." + qualified
                break
        return qualified, first, end
    return None


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
        student_text = _without_broken_definitions(
            student_text, name, reference.read_text(), step)
        if name in mine or MODULE in parts:
            others = [part.split(":", 1)[1] for other in STEPS
                      if other.number != step.number
                      for part in owned(other)
                      if part.startswith(name + ":")
                      and not part.endswith(MODULE)]
            files[name] = _student_with_reference(
                reference.read_text(), student_text, name, others,
                {part for part in parts if "." not in part
                 and part != MODULE})
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


def line_map(spliced: str, student: str) -> Optional[Dict[int, int]]:
    """Map the lines of a spliced file to the student's, where they are.

    Lines (numbered from 1) that the splice took from the student's file,
    in runs of at least two, map to their line there; a line of the
    reference's code maps to nothing. A lone line that merely looks the
    same in both (a blank, an ``else:``) is not trusted.
    """
    mine, theirs = spliced.splitlines(), student.splitlines()
    if max(len(mine), len(theirs)) > MAX_MAPPED_LINES:
        # Matching is quadratic at worst: a file of thousands of equal
        # lines would hold the grading up. Its places are not mapped.
        return None
    matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
    mapped: Dict[int, int] = {}
    for first, theirs, size in matcher.get_matching_blocks():
        if size >= 2:
            mapped.update((first + offset + 1, theirs + offset + 1)
                          for offset in range(size))
    return mapped


def in_student_lines(message: str,
                     maps: Dict[str, Optional[Dict[int, int]]]) -> str:
    """Return message with places in spliced files moved to the student's.

    maps gives, per spliced file name, its line_map. A place in one of
    those files that is the student's line names that line; one in the
    reference's code names the file as the reference's, without a line:
    no message points at a line the student's file does not have.
    """
    def moved(match: "re.Match[str]") -> str:
        """Return one place in the student's lines, or as the reference's."""
        name, line = match.group(1), int(match.group(2))
        if name not in maps:
            return match.group()
        if maps[name] is None:
            return name  # too large to map: its line is not known
        if line in maps[name]:
            return "{}:{}".format(name, maps[name][line])
        return "{} (the reference's code)".format(name)
    return PLACE.sub(moved, message)
