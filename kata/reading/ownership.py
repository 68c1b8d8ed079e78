#!/usr/bin/env python3
"""Who owns each line of a submission's files: the step answerable for it.

A line belongs to the innermost definition around it (a function, a
method, a class, or an assignment such as ``AUTH = Auth()``), and that
definition to the step whose ``solution`` or ``owns`` entries in the list
of steps name it (``auth.py:Auth.valid_login``, ``app.py:AUTH``). What no
step names falls back, in this order:

- a view of the Flask app is matched by its route and method to the
  reference's view, so that the name of a view function stays free;
- a function or method of the student's own (``_find_user``, a helper
  method) belongs to the earliest step whose definitions use it, by name
  or as ``self.name``, directly or through other helpers: that step's
  author wrote it for their own code, whatever later steps reuse;
- anything else (a nested function, a class line) goes to the definition
  around it, and a line outside every definition (imports, module
  statements, the shebang, blank lines between definitions) to the step
  that owns the file's module level: ``file:<module>``, or the whole file
  (``user.py``), or else the first step that lists the file.

A module of the folder that the exercise files import (``wrappers.py``)
belongs, whole, to the step that owns the line importing it: the earliest
such line when several files import it. A file Python cannot parse is
outlined by its indentation instead: the ``def`` and ``class`` lines, and
the lines indented below them. Only source text is read: nothing runs.
"""
import ast
import heapq
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from kata.catalogue.steps import SOLUTION_DIR, STEPS, SUBMISSION_FILES, Step
from kata.reading.routes import view_routes
from kata.reading.splice import MODULE, owned

# A file larger than this is one that the style rules do not check line by
# line (kata/style/sources.py's MAX_SOURCE_BYTES: its one problem is about
# the whole file): it is not outlined.
MAX_OUTLINED_BYTES = 100 * 1024
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Flask's shortcuts for a route with one method, e.g. @app.post("/users").
_HEADER = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+"
                     r"([A-Za-z_]\w*)")
_MODULE_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)[ \t]*(?::[^=]*)?=(?!=)")
_NAME = re.compile(r"(?<![.\w])([A-Za-z_]\w*)")
_ATTRIBUTE = re.compile(r"\b([A-Za-z_]\w*)[ \t]*\.[ \t]*([A-Za-z_]\w*)")
# Where Python ends a line of source (not at a form feed or U+2028).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A route: its path and the HTTP methods it answers.
Route = Tuple[str, FrozenSet[str]]


@dataclass
class Definition:
    """One definition of a file: where it is and what it names and uses.

    qualified holds the names it defines as the list of steps spells them
    (``Auth.valid_login``, ``AUTH``); it is empty for a function nested in
    another, which only the definition around it can own. first and last
    are its lines, 1-based and inclusive, decorators and the comment lines
    right above it included. names are the plain names its code reads;
    attributes the ``base.attribute`` pairs (``self._find_user``); routes
    those of a view of the Flask app, read from its decorators.
    """

    qualified: Tuple[str, ...]
    first: int
    last: int
    enclosing: Optional[int]
    is_function: bool
    names: Set[str] = field(default_factory=set)
    attributes: Set[Tuple[str, str]] = field(default_factory=set)
    routes: List[Route] = field(default_factory=list)


def module_owner(name: str, steps: Sequence[Step] = STEPS) -> Optional[int]:
    """Return the step that owns a file's lines outside its definitions.

    That is the step owning ``name:<module>`` or the whole file, else the
    first step that lists the file (README.md: step 0), else None.
    """
    for step in steps:
        if name in owned(step) or "{}:{}".format(name, MODULE) in owned(step):
            return step.number
    for step in steps:
        if name in step.files:
            return step.number
    return None


def owned_definitions(name: str, steps: Sequence[Step] = STEPS,
                      ) -> Dict[str, int]:
    """Return the definitions of a file that steps own, with their owner.

    A definition two steps name goes to the earlier one.
    """
    owners: Dict[str, int] = {}
    prefix = name + ":"
    for step in steps:
        for entry in owned(step):
            if entry.startswith(prefix) and entry != prefix + MODULE:
                owners.setdefault(entry[len(prefix):], step.number)
    return owners


class FileOwners:
    """Who owns each line of one Python file of the exercise."""

    def __init__(self, name: str, text: Optional[str],
                 steps: Sequence[Step] = STEPS,
                 solution: Path = SOLUTION_DIR) -> None:
        """Outline the file's text (None: unreadable) and find the owners."""
        self.name = name
        self.module_owner = module_owner(name, steps)
        self.imports: Dict[str, List[int]] = {}
        self.definitions: List[Definition] = []
        # Where Python stops reading a file that does not parse, if it says.
        self.broken_at: Optional[int] = None
        if text is not None:
            tree = _parse(text)
            if tree is None:
                self.definitions = _outline_by_indentation(text)
                self.broken_at = _syntax_error_line(text)
            else:
                self.definitions = _outline(tree, text)
                self.imports = _import_lines(tree)
        self._innermost_of_line: Optional[List[Optional[int]]] = None
        self._explicit = self._explicit_owners(
            owned_definitions(name, steps), _solution_routes(
                str(solution / name)))
        self._by_use = self._owners_by_use()

    def step_at(self, line: int) -> Optional[int]:
        """Return the number of the step that owns a line of the file.

        Line 0 stands for the whole file: the module level's owner.
        """
        index = self._innermost(line) if line > 0 else None
        while index is not None:
            found = self._explicit.get(index, self._by_use.get(index))
            if found is not None:
                return found
            index = self.definitions[index].enclosing
        return self.module_owner

    def _innermost(self, line: int) -> Optional[int]:
        """Return the index of the innermost definition holding a line."""
        if self._innermost_of_line is None:
            self._innermost_of_line = _innermost_of_lines(self.definitions)
        if line >= len(self._innermost_of_line):
            return None
        return self._innermost_of_line[line]

    def _explicit_owners(self, owners: Dict[str, int],
                         routes: Dict[Route, str]) -> Dict[int, int]:
        """Return the owner of each definition the list of steps names.

        A view whose route and method are a reference view's belongs to
        that view's owner, whatever its name; several such views of one
        function go to the earliest.
        """
        found: Dict[int, int] = {}
        for index, definition in enumerate(self.definitions):
            by_route = [owners[routes[key]]
                        for route in definition.routes
                        for key in routes if _same_route(route, key)
                        and routes[key] in owners]
            by_name = [owners[name] for name in definition.qualified
                       if name in owners]
            if by_route or by_name:
                found[index] = min(by_route or by_name)
        return found

    def _owners_by_use(self) -> Dict[int, int]:
        """Return the owner of each function of the student's own by use.

        A function or method no step names belongs to the earliest step
        whose definitions use it, directly or through other such functions;
        the steps are visited from the earliest, so the first owner a
        function is given is its earliest.
        """
        used_by = self._helpers_used()
        queue = [(step, index) for index, step in self._explicit.items()]
        heapq.heapify(queue)
        by_use: Dict[int, int] = {}
        while queue:
            step, index = heapq.heappop(queue)
            for helper in used_by.get(index, []):
                if helper not in by_use:
                    by_use[helper] = step
                    heapq.heappush(queue, (step, helper))
        return by_use

    def _helpers_used(self) -> Dict[int, List[int]]:
        """Return, by definition, the student's own functions it uses.

        A module-level function is used by its name; a method as an
        attribute of its class, or of self or cls from the same class.
        """
        by_name: Dict[str, List[int]] = {}
        by_attribute: Dict[Tuple[str, str], List[int]] = {}
        for index, definition in enumerate(self.definitions):
            if not definition.qualified:
                continue
            for name in definition.names:
                by_name.setdefault(name, []).append(index)
            for pair in definition.attributes:
                by_attribute.setdefault(pair, []).append(index)
        used: Dict[int, List[int]] = {}
        for index, definition in enumerate(self.definitions):
            if index in self._explicit or not definition.is_function or \
                    not definition.qualified:
                continue
            *classes, name = definition.qualified[0].split(".")
            if not classes:
                users = by_name.get(name, [])
            else:
                inside = ".".join(classes) + "."
                users = by_attribute.get((classes[-1], name), []) + [
                    user for base in ("self", "cls")
                    for user in by_attribute.get((base, name), [])
                    if any(qualified.startswith(inside) for qualified in
                           self.definitions[user].qualified)]
            for user in users:
                if user != index:
                    used.setdefault(user, []).append(index)
        return used


class Ownership:
    """Who owns each line of each file of a submission's copy.

    The exercise's files are outlined when first asked about; a module of
    the folder (not an exercise file) belongs whole to the step owning the
    line that imports it.
    """

    def __init__(self, folder: Path, steps: Sequence[Step] = STEPS,
                 solution: Path = SOLUTION_DIR) -> None:
        """Remember the copy whose files are asked about."""
        self.folder = Path(folder)
        self.steps = steps
        self.solution = solution
        self._files: Dict[str, FileOwners] = {}
        self._helpers: Dict[str, Optional[int]] = {}

    def step_of(self, name: str, line: int) -> Optional[int]:
        """Return the step that owns a line of a file (0: the whole file).

        None: no step owns it, e.g. a module nothing imports.
        """
        if not name.endswith(".py"):
            return module_owner(name, self.steps)
        if name not in SUBMISSION_FILES:
            if name not in self._helpers:
                self._helpers[name] = self._helper_owner(name, set())
            return self._helpers[name]
        return self.file(name).step_at(line)

    def file(self, name: str) -> FileOwners:
        """Return the owners of the lines of one Python file of the copy."""
        if name not in self._files:
            self._files[name] = FileOwners(name, _read(self.folder / name),
                                           self.steps, self.solution)
        return self._files[name]

    def _helper_owner(self, name: str, visiting: Set[str]) -> Optional[int]:
        """Return the earliest step owning a line that imports a module."""
        visiting.add(name)
        module = name[:-3]
        found: List[int] = []
        for importer in sorted(self._python_files()):
            if importer in visiting:
                continue
            owners = self.file(importer)
            if module not in owners.imports:
                continue
            if importer in SUBMISSION_FILES:
                steps = [owners.step_at(line)
                         for line in owners.imports[module]]
            else:
                steps = [self._helper_owner(importer, visiting)]
            found += [step for step in steps if step is not None]
        return min(found) if found else None

    def _python_files(self) -> List[str]:
        """Return the names of the copy's Python files."""
        try:
            return [path.name for path in self.folder.glob("*.py")
                    if path.is_file() and not path.is_symlink()]
        except OSError:
            return []


def _innermost_of_lines(definitions: Sequence[Definition],
                        ) -> List[Optional[int]]:
    """Return, by line number, the innermost definition holding the line.

    Definitions nest, so one sweep over the lines with a stack of the open
    ones finds them all, however deep the nesting.
    """
    last_line = max((definition.last for definition in definitions),
                    default=0)
    found: List[Optional[int]] = [None] * (last_line + 1)
    starting = sorted(range(len(definitions)), key=lambda index: (
        definitions[index].first, -definitions[index].last))
    stack: List[int] = []
    position = 0
    for line in range(1, last_line + 1):
        while stack and definitions[stack[-1]].last < line:
            stack.pop()
        while position < len(starting) and \
                definitions[starting[position]].first <= line:
            stack.append(starting[position])
            position += 1
        while stack and definitions[stack[-1]].last < line:
            stack.pop()
        found[line] = stack[-1] if stack else None
    return found


def _read(path: Path) -> Optional[str]:
    """Return a file's text (bad bytes replaced), None when unreadable.

    A file too large to be outlined is None as well.
    """
    try:
        with open(str(path), "rb") as stream:
            data = stream.read(MAX_OUTLINED_BYTES + 1)
    except (OSError, ValueError):
        return None
    if len(data) > MAX_OUTLINED_BYTES:
        return None
    return data.decode("utf-8", "replace")


def _parse(text: str) -> Optional[ast.Module]:
    """Return the syntax tree of a file's text, None when it does not parse.

    Any Python the checker's own interpreter reads will do: a line only a
    newer Python accepts is still placed in its definition.
    """
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _lines(text: str) -> List[str]:
    """Return the lines of a text, cut where Python and pycodestyle cut."""
    return _LINE_BREAK.split(text)


def _syntax_error_line(text: str) -> Optional[int]:
    """Return the line of a file's syntax error, None if Python names none."""
    try:
        ast.parse(text)
    except SyntaxError as error:
        return error.lineno or None
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def _outline(tree: ast.Module, text: str) -> List[Definition]:
    """Return the definitions of a parsed file, each with its uses.

    A definition is a function, a class, or an assignment to plain names
    outside every function. The code of a nested function counts among
    the uses of the definition that holds it.
    """
    lines = _lines(text)
    definitions: List[Definition] = []
    # Each entry: a node, the classes around it, whether a function is
    # around it, the innermost definition and the innermost named one.
    stack: List[Tuple[ast.AST, Tuple[str, ...], bool, Optional[int],
                      Optional[int]]] = [(tree, (), False, None, None)]
    while stack:
        node, classes, in_function, inner, named = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _DEFINITIONS):
                qualified = () if in_function else (
                    ".".join(classes + (child.name,)),)
                definitions.append(Definition(
                    qualified, _first_line(child, lines),
                    getattr(child, "end_lineno", None) or child.lineno,
                    inner, isinstance(child, _FUNCTIONS),
                    routes=_routes(child) if not classes and
                    not in_function else []))
                index = len(definitions) - 1
                is_class = isinstance(child, ast.ClassDef)
                stack.append((child, classes + (child.name,) if is_class
                              else classes, in_function or not is_class,
                              index, index if qualified else named))
                continue
            targets = _assigned_names(child) if not in_function else []
            if targets:
                definitions.append(Definition(
                    tuple(".".join(classes + (target,))
                          for target in targets),
                    _first_line(child, lines),
                    getattr(child, "end_lineno", None) or child.lineno,
                    inner, False))
                index = len(definitions) - 1
                stack.append((child, classes, in_function, index, index))
                continue
            if named is not None:
                _note_use(child, definitions[named])
            stack.append((child, classes, in_function, inner, named))
    return definitions


def _assigned_names(node: ast.AST) -> List[str]:
    """Return the plain names an assignment statement binds, if it is one."""
    if isinstance(node, ast.Assign):
        return [target.id for target in node.targets
                if isinstance(target, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _note_use(node: ast.AST, definition: Definition) -> None:
    """Note the name or the base.attribute a node reads, if it reads one."""
    if isinstance(node, ast.Name):
        definition.names.add(node.id)
    elif isinstance(node, ast.Attribute) and isinstance(node.value,
                                                        ast.Name):
        definition.attributes.add((node.value.id, node.attr))


def _first_line(node: ast.AST, lines: List[str]) -> int:
    """Return a definition's first line: decorators and comments above it.

    The comment lines right above a definition, at its indentation, say
    what it is: they belong to it.
    """
    decorators = getattr(node, "decorator_list", [])
    first = min([getattr(node, "lineno", 1)] +
                [item.lineno for item in decorators])
    indent = getattr(node, "col_offset", 0)
    while first > 1:
        above = lines[first - 2] if first - 2 < len(lines) else ""
        if not above.strip().startswith("#") or \
                len(above) - len(above.lstrip()) != indent:
            break
        first -= 1
    return first


def _import_lines(tree: ast.Module) -> Dict[str, List[int]]:
    """Return, by top-level module, the lines of the file that import it.

    Relative imports are left out: a module of the folder is imported by
    its plain name (kata/grading/grader.py follows the same imports).
    """
    found: Dict[str, List[int]] = {}
    for node in ast.walk(tree):
        modules: List[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and \
                node.module:
            modules = [node.module.split(".")[0]]
        for module in modules:
            found.setdefault(module, []).append(node.lineno)
    return found


def _routes(node: ast.AST) -> List[Route]:
    """Return the routes a view function serves, methods by path."""
    methods: Dict[str, Set[str]] = {}
    for path, method in view_routes(node):
        methods.setdefault(path, set()).add(method)
    return [(path, frozenset(found)) for path, found in methods.items()]


def _same_route(route: Route, reference: Route) -> bool:
    """Tell whether a view's route answers what a reference route does."""
    return route[0] == reference[0] and bool(route[1] & reference[1])


@lru_cache(maxsize=16)
def _solution_routes(path: str) -> Dict[Route, str]:
    """Return the reference file's views by their route: their names."""
    text = _read(Path(path))
    tree = _parse(text) if text is not None else None
    if tree is None:
        return {}
    return {route: node.name for node in tree.body
            if isinstance(node, _FUNCTIONS) for route in _routes(node)}


def _indentation(line: str) -> int:
    """Return how deep a line is indented, a tab counting as eight."""
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


def _is_code(line: str) -> bool:
    """Tell whether a line holds code: neither blank nor only a comment."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _outline_by_indentation(text: str) -> List[Definition]:
    """Return the definitions of a file that does not parse, by its text.

    A ``def`` or ``class`` line opens a definition that runs while the
    lines are indented deeper; a module-level ``NAME = ...`` one that runs
    over its indented continuation lines. Uses are read from the words of
    each line, which a string or a comment may fool: this is a best guess
    for a file that is broken anyway. One pass, whatever the nesting.
    """
    lines = _lines(text)
    definitions: List[Definition] = []
    open_ones: List[_Open] = []
    last_code = 0
    for number, line in enumerate(lines, 1):
        if not _is_code(line):
            continue
        depth = _indentation(line)
        while open_ones and depth <= open_ones[-1].depth:
            definitions[open_ones.pop().index].last = last_code
        last_code = number
        opened = _opened(line, depth, open_ones)
        if opened is not None:
            definition, kind = opened
            definition.first = _first_text_line(lines, number, depth)
            definition.last = number
            if kind != "=" and not open_ones:
                definition.routes = _text_routes(lines, definition.first,
                                                 number)
            definitions.append(definition)
            index = len(definitions) - 1
            around = open_ones[-1] if open_ones else None
            in_function = kind == "def" or (around is not None and
                                            around.in_function)
            prefix = around.prefix if around is not None else ""
            if kind == "class" and definition.qualified:
                prefix = definition.qualified[0] + "."
            open_ones.append(_Open(
                depth, index, in_function, prefix,
                index if definition.qualified else
                around.named if around is not None else None))
        if open_ones and open_ones[-1].named is not None:
            user = definitions[open_ones[-1].named]
            user.names.update(_NAME.findall(line))
            user.attributes.update(_ATTRIBUTE.findall(line))
    for still_open in open_ones:
        definitions[still_open.index].last = last_code
    return definitions


@dataclass
class _Open:
    """A definition of a broken file whose indented block is being read.

    in_function tells whether its block is a function's code (where no
    definition is named); prefix is what the names defined in its block
    start with (``Auth.`` in a class); named is the nearest named
    definition, itself included, which the block's uses count for.
    """

    depth: int
    index: int
    in_function: bool
    prefix: str
    named: Optional[int]


def _opened(line: str, depth: int, open_ones: List[_Open],
            ) -> Optional[Tuple[Definition, str]]:
    """Return the definition a line of a broken file opens, and its kind.

    The kind is "def", "class" or "=" (a module-level assignment); the
    definition's lines are left for the caller to set.
    """
    header = _HEADER.match(line)
    assigned = _MODULE_ASSIGNMENT.match(line) if depth == 0 else None
    if header is not None:
        name, kind = header.group(3), header.group(2)
    elif assigned is not None:
        name, kind = assigned.group(1), "="
    else:
        return None
    around = open_ones[-1] if open_ones else None
    qualified: Tuple[str, ...] = ()
    if around is None or not around.in_function:
        qualified = ((around.prefix if around is not None else "") + name,)
    return Definition(qualified, 0, 0,
                      around.index if around is not None else None,
                      kind == "def"), kind


def _first_text_line(lines: List[str], number: int, depth: int) -> int:
    """Return a header's first line: with the decorators and comments above.

    Only lines at the header's own indentation are taken in.
    """
    first = number
    while first > 1:
        above = lines[first - 2]
        stripped = above.strip()
        if not stripped.startswith(("@", "#")) or \
                _indentation(above) != depth:
            break
        first -= 1
    return first


def _text_routes(lines: List[str], first: int, header: int) -> List[Route]:
    """Return the routes the decorator lines of a broken file give a view.

    The decorators are parsed on their own, above a stand-in function.
    """
    decorators = textwrap.dedent("\n".join(
        line for line in lines[first - 1:header - 1]
        if not line.strip().startswith("#")))
    if not decorators.strip():
        return []
    tree = _parse(decorators + "\ndef view():\n    pass\n")
    if tree is None or not tree.body:
        return []
    return _routes(tree.body[0])
