#!/usr/bin/env python3
"""The general style rules G1-G10 of the kata, checked on submission files.

``check_file(folder, name)`` returns every problem of one file of a
submission (``user.py``, ..., ``README.md``); ``check_readme(folder)`` says
whether the submission has a real README (G9). A problem is a
``StyleProblem`` whose message a student can act on, for example
``auth.py:12: function valid_login has no return annotation (G6)``.

Student files are untrusted: a file that is binary, not UTF-8, huge, not a
regular file or not even Python gives problems, never an exception. The
rules that read the syntax tree (G5-G8 and the import part of G10) are
skipped for a file that does not parse.
"""
import ast
import io
import os
import stat
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import pycodestyle

SHEBANG = "#!/usr/bin/env python3"
README = "README.md"
PYTHON_VERSION = (3, 7)
# No file of this exercise comes near this size (the solution's largest has
# 4 kB). pycodestyle needs up to two seconds for 100 kB, and more than linear
# time beyond, so a bigger file is reported instead of checked.
MAX_SOURCE_BYTES = 100 * 1024
# Past this many problems of one rule in one file, the rest are counted.
MAX_PROBLEMS_PER_RULE = 50

RULES: Dict[str, str] = {
    "G1": "the first line is exactly #!/usr/bin/env python3",
    "G2": "the file ends with a newline",
    "G3": "the file is executable",
    "G4": "pycodestyle 2.5 passes",
    "G5": "the module, every class and every function has a docstring "
          "that is a real sentence",
    "G6": "every function is fully type-annotated, parameters and return",
    "G7": "the Flask app talks only to Auth, never to DB",
    "G8": "only public members of Auth and DB are used outside them",
    "G9": "a README.md at the submission's root",
    "G10": "the code runs on SQLAlchemy 1.3 and parses as Python 3.7",
}

# Private attributes, the file and the class where they may be used.
PRIVATE_ATTRIBUTES: Dict[str, Tuple[str, str]] = {
    "_session": ("db.py", "DB"),
    "_engine": ("db.py", "DB"),
    "_db": ("auth.py", "Auth"),
}
# Private functions of auth.py that no other file may import or use.
PRIVATE_FUNCTIONS = ("_hash_password", "_generate_uuid")

_TO_EXT = "import it from sqlalchemy.ext.declarative, where SQLAlchemy 1.3 " \
          "has it"
_NEW_MAPPING = "use declarative_base() from sqlalchemy.ext.declarative " \
               "and Column(...) attributes"
# Names that SQLAlchemy 1.3 does not have, with what to do instead.
NEWER_SQLALCHEMY: Dict[str, str] = {
    "sqlalchemy.exc.NoResultFound": "import it from sqlalchemy.orm.exc",
    "sqlalchemy.exc.MultipleResultsFound":
        "import it from sqlalchemy.orm.exc",
    "sqlalchemy.orm.NoResultFound": "import it from sqlalchemy.orm.exc",
    "sqlalchemy.orm.MultipleResultsFound":
        "import it from sqlalchemy.orm.exc",
    "sqlalchemy.orm.declarative_base": _TO_EXT,
    "sqlalchemy.orm.declared_attr": _TO_EXT,
    "sqlalchemy.orm.as_declarative": _TO_EXT,
    "sqlalchemy.orm.synonym_for": _TO_EXT,
    "sqlalchemy.orm.has_inherited_table": _TO_EXT,
    "sqlalchemy.orm.DeclarativeMeta": _TO_EXT,
    "sqlalchemy.orm.DeclarativeBase": _NEW_MAPPING,
    "sqlalchemy.orm.DeclarativeBaseNoMeta": _NEW_MAPPING,
    "sqlalchemy.orm.MappedAsDataclass": _NEW_MAPPING,
    "sqlalchemy.orm.Mapped": _NEW_MAPPING,
    "sqlalchemy.orm.MappedColumn": _NEW_MAPPING,
    "sqlalchemy.orm.mapped_column": _NEW_MAPPING,
    "sqlalchemy.orm.WriteOnlyMapped": _NEW_MAPPING,
    "sqlalchemy.orm.DynamicMapped": _NEW_MAPPING,
    "sqlalchemy.orm.registry": _NEW_MAPPING,
    "sqlalchemy.orm.declarative_mixin": _NEW_MAPPING,
    "sqlalchemy.orm.attribute_keyed_dict": _NEW_MAPPING,
    "sqlalchemy.Identity": "use Column(Integer, primary_key=True)",
    "sqlalchemy.Uuid": "store the UUID's text in a String(250) column",
    "sqlalchemy.UUID": "store the UUID's text in a String(250) column",
    "sqlalchemy.Double": "use Float",
    "sqlalchemy.DOUBLE": "use Float",
    "sqlalchemy.values": "query through the session instead",
    "sqlalchemy.lambda_stmt": "query through the session instead",
    "sqlalchemy.insert_sentinel": "leave it out",
    "sqlalchemy.Result": "use the objects the query returns",
    "sqlalchemy.ScalarResult": "use the objects the query returns",
    "sqlalchemy.Row": "use the objects the query returns",
    "sqlalchemy.future": "use the classic create_engine and Session API",
    "sqlalchemy.ext.asyncio": "use the classic, synchronous Session",
    "sqlalchemy.orm.decl_api": _TO_EXT,
}

_SCOPES = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
# Attribute chains are read this deep at most, so hostile code stays cheap.
_MAX_CHAIN = 32
_Scopes = Tuple[ast.AST, ...]
_Finding = Tuple[str, int, str]


@dataclass(frozen=True)
class StyleProblem:
    """One broken style rule in one file, told in a plain sentence."""

    rule: str
    file: str
    line: int
    message: str


def make_problem(rule: str, name: str, line: int, text: str) -> StyleProblem:
    """Return the problem, its message led by file:line, ending with rule."""
    message = "{}:{}: {} ({})".format(name, line, text, rule)
    return StyleProblem(rule=rule, file=name, line=line, message=message)


def check_file(folder: Path, name: str,
               min_doc_words: int = 2) -> List[StyleProblem]:
    """Return the problems of one file of the submission in folder.

    A Python file is checked against G1-G8 and G10 (G7 in app.py only);
    another file, README.md included, against G2. A file that does not exist
    gives no problem: the caller reports missing files. The README's own
    rule, G9, is ``check_readme``'s, so that no problem is reported twice.
    """
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
    if name.endswith(".py"):
        findings = _python_findings(name, data, info.st_mode, min_doc_words)
    else:
        findings = _text_findings(name, data)
    return _problems(name, findings)


def check_readme(folder: Path) -> List[StyleProblem]:
    """Return the G9 problems of the submission's README.md.

    The README must be a regular file at the submission's root, holding
    UTF-8 text that says something (not only blanks).
    """
    path = Path(folder) / README
    if path.is_file():
        try:
            with open(str(path), "rb") as stream:
                data = stream.read(MAX_SOURCE_BYTES + 1)
        except OSError as error:
            return [make_problem("G9", README, 0, "README.md cannot be "
                                 "read ({})".format(error))]
        return _problems(README, _readme_findings(data))
    if path.exists() or path.is_symlink():
        text = "README.md must be a file at the root of the submission"
    else:
        text = "the submission has no README.md at its root"
        near = _near_readme_names(Path(folder))
        if near:
            text += "; found {}, but the name must be exactly README.md" \
                .format(", ".join(near))
    return [make_problem("G9", README, 0, text)]


def _readme_findings(data: bytes) -> List[_Finding]:
    """Return the G9 problems of a README's content."""
    if len(data) > MAX_SOURCE_BYTES:
        return []  # a long README is still a README
    text, findings = _decode(data, "G9")
    if text is not None and not text.strip():
        findings.append(("G9", 0, "README.md is empty: say what the "
                         "project is"))
    return findings


def _near_readme_names(folder: Path) -> List[str]:
    """Return the names in folder that look like a misnamed README."""
    try:
        names = os.listdir(str(folder))
    except OSError:
        return []
    return sorted(name for name in names
                  if name.lower() in ("readme.md", "readme", "readme.txt",
                                      "readme.rst", "readme.md.txt")
                  and name != README)[:3]


def _unreadable(name: str, text: str) -> List[StyleProblem]:
    """Return the problem of a file whose content cannot be judged."""
    if name == README:
        return []  # check_readme reports it
    rule = "G10" if name.endswith(".py") else "G2"
    return [make_problem(rule, name, 0, text)]


def _problems(name: str, findings: List[_Finding]) -> List[StyleProblem]:
    """Turn findings into problems, ordered by rule then line, capped."""
    order = {rule: index for index, rule in enumerate(RULES)}
    findings = sorted(findings, key=lambda item: (order[item[0]], item[1]))
    problems: List[StyleProblem] = []
    counts: Dict[str, int] = {}
    for rule, line, text in findings:
        counts[rule] = counts.get(rule, 0) + 1
        if counts[rule] <= MAX_PROBLEMS_PER_RULE:
            problems.append(make_problem(rule, name, line, text))
    for rule in sorted(counts, key=order.__getitem__):
        hidden = counts[rule] - MAX_PROBLEMS_PER_RULE
        if hidden > 0:
            problems.append(make_problem(
                rule, name, 0,
                "and {} more problems of this rule in {}".format(hidden,
                                                                 name)))
    return problems


def _decode(data: bytes, rule: str) -> Tuple[Optional[str], List[_Finding]]:
    """Return data as text, or None and why it is not UTF-8 text."""
    if b"\0" in data:
        line = data[:data.index(b"\0")].count(b"\n") + 1
        return None, [(rule, line, "the file holds a NUL byte: it is a "
                       "binary file, not text")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        return None, [(rule, line, "the file is not valid UTF-8 text (byte "
                       "{:#04x}); save it as UTF-8".format(
                           data[error.start]))]


def _text_findings(name: str, data: bytes) -> List[_Finding]:
    """Return the G2 problem of a text file such as README.md, if any.

    A file that is not text at all gets no G2 problem: for README.md,
    check_readme reports it.
    """
    if len(data) > MAX_SOURCE_BYTES or b"\0" in data:
        return []
    return _newline_findings(data)


def _newline_findings(data: bytes) -> List[_Finding]:
    """Return a G2 problem when non-empty data lacks its final newline."""
    if data and not data.endswith(b"\n"):
        line = data.count(b"\n") + 1
        return [("G2", line, "the last line does not end with a newline")]
    return []


def _python_findings(name: str, data: bytes, mode: int,
                     min_doc_words: int) -> List[_Finding]:
    """Return the problems of one Python file, data being its first bytes."""
    findings: List[_Finding] = []
    if not mode & stat.S_IXUSR:
        findings.append(("G3", 0, "the file is not executable; run "
                         "chmod +x {}".format(name)))
    if len(data) > MAX_SOURCE_BYTES:
        findings.append(("G4", 0, "the file is larger than {} bytes, too "
                         "large to be checked; a file of this exercise "
                         "holds a few kilobytes".format(MAX_SOURCE_BYTES)))
        return findings
    text, problems = _decode(data, "G10")
    findings.extend(problems)
    if text is None:
        return findings
    findings.extend(_shebang_findings(text))
    findings.extend(_newline_findings(data))
    findings.extend(_pycodestyle_findings(name, data))
    tree, problems = _parse(data)
    findings.extend(problems)
    if tree is not None:
        findings.extend(_tree_findings(name, tree, min_doc_words))
    return findings


def _shebang_findings(text: str) -> List[_Finding]:
    """Return a G1 problem unless the first line is exactly the shebang."""
    first = text.split("\n", 1)[0]
    if first == SHEBANG:
        return []
    if not text:
        why = "the file is empty"
    elif first == SHEBANG + "\r":
        why = "the file has Windows line endings (CRLF); save it with Unix " \
              "line endings (LF)"
    elif first.startswith("\ufeff"):
        why = "the file starts with an invisible byte-order mark; save it " \
              "as UTF-8 without BOM"
    else:
        why = "it is {}".format(_shorten(first))
    return [("G1", 1, "the first line must be exactly {}, but {}".format(
        SHEBANG, why))]


def _shorten(text: str, limit: int = 50) -> str:
    """Return repr(text), cut to about limit characters."""
    shown = repr(text)
    if len(shown) > limit:
        shown = shown[:limit - 4] + "...'"
    return shown


class _Collector(pycodestyle.BaseReport):
    """A quiet pycodestyle report that keeps what it finds."""

    def __init__(self, options: object) -> None:
        """Start with no errors found."""
        super().__init__(options)
        self.found: List[Tuple[int, int, str, str]] = []

    def error(self, line_number: int, offset: int, text: str,
              check: object) -> Optional[str]:
        """Keep an error that pycodestyle's options do not ignore."""
        code = super().error(line_number, offset, text, check)
        if code:
            self.found.append((line_number, offset + 1, code, text[5:]))
        return code


_STYLE_GUIDE: List[pycodestyle.StyleGuide] = []


def _style_options() -> object:
    """Return pycodestyle's default options, whatever config files say."""
    if not _STYLE_GUIDE:
        _STYLE_GUIDE.append(pycodestyle.StyleGuide(
            reporter=_Collector, quiet=True, verbose=0, select=[],
            ignore=[], max_line_length=pycodestyle.MAX_LINE_LENGTH,
            max_doc_length=None, hang_closing=False))
    return _STYLE_GUIDE[0].options


def _source_lines(data: bytes) -> List[str]:
    """Return the lines of data as pycodestyle itself reads a file."""
    buffer = io.BytesIO(data)
    try:
        coding, first = tokenize.detect_encoding(buffer.readline)
        wrapper = io.TextIOWrapper(buffer, coding, line_buffering=True)
        return [line.decode(coding) for line in first] + wrapper.readlines()
    except (LookupError, SyntaxError, UnicodeError):
        return io.TextIOWrapper(io.BytesIO(data), "latin-1").readlines()


def _pycodestyle_findings(name: str, data: bytes) -> List[_Finding]:
    """Return what pycodestyle, with its default options, finds in data."""
    options = _style_options()
    report = _Collector(options)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lines = _source_lines(data)
            checker = pycodestyle.Checker(name, lines=lines, options=options,
                                          report=report)
            checker.check_all()
    except Exception as error:  # pycodestyle must not crash the checks
        return [("G4", 0, "pycodestyle could not check the file ({}: {})"
                 .format(type(error).__name__, error))]
    return [("G4", line, "pycodestyle {} at column {}: {}".format(
        code, column, text)) for line, column, code, text in report.found]


def _parse(source: bytes) -> Tuple[Optional[ast.Module], List[_Finding]]:
    """Parse source as Python 3.7; return the tree and any G10 problem.

    The source is given as bytes so that Python reads it as it would read
    the file (byte-order mark, coding declaration). Code that only a newer
    Python accepts is reported, and its tree is still returned so that the
    other rules can judge it.
    """
    too_deep = [("G10", 0, "Python cannot parse the file: it is nested too "
                 "deeply or too large")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source, feature_version=PYTHON_VERSION), []
        except SyntaxError as error:
            old = ("G10", error.lineno or 0, "Python 3.7 cannot parse this "
                   "line: {}".format(error.msg))
        except (ValueError, RecursionError, MemoryError):
            return None, too_deep
        try:
            return ast.parse(source), [old]
        except SyntaxError as error:
            return None, [("G10", error.lineno or 0, "{} is not valid "
                           "Python: {}".format("this line" if error.lineno
                                               else "the file", error.msg))]
        except (ValueError, RecursionError, MemoryError):
            return None, too_deep


def _walk(tree: ast.AST) -> Iterator[Tuple[ast.AST, _Scopes]]:
    """Yield every node with the classes and functions around it."""
    stack: List[Tuple[ast.AST, _Scopes]] = [(tree, ())]
    while stack:
        node, scopes = stack.pop()
        yield node, scopes
        inner = scopes + (node,) if isinstance(node, _SCOPES) else scopes
        children = list(ast.iter_child_nodes(node))
        stack.extend((child, inner) for child in reversed(children))


def _tree_findings(name: str, tree: ast.Module,
                   min_doc_words: int) -> List[_Finding]:
    """Return the problems the syntax tree shows: G5-G8 and G10."""
    findings = _module_docstring_findings(tree, min_doc_words)
    aliases = _sqlalchemy_aliases(tree)
    for node, scopes in _walk(tree):
        if isinstance(node, _SCOPES):
            findings.extend(_docstring_findings(node, scopes, min_doc_words))
        if isinstance(node, _FUNCTIONS):
            findings.extend(_annotation_findings(node, scopes))
        if name == "app.py":
            findings.extend(_app_findings(node))
        findings.extend(_private_findings(name, node, scopes))
        findings.extend(_sqlalchemy_findings(node, aliases))
        findings.extend(_python37_findings(node))
    return findings


def _describe(node: ast.AST, scopes: _Scopes) -> str:
    """Return e.g. 'method Auth.valid_login' or 'class Auth'."""
    qualified = ".".join([getattr(scope, "name", "?") for scope in scopes] +
                         [getattr(node, "name", "?")])
    if isinstance(node, ast.ClassDef):
        return "class {}".format(qualified)
    if scopes and isinstance(scopes[-1], ast.ClassDef):
        return "method {}".format(qualified)
    return "function {}".format(qualified)


def _count_words(text: str) -> int:
    """Return the number of words, a word holding a letter or a digit."""
    return sum(1 for part in text.split()
               if any(char.isalnum() for char in part))


def _docstring_problem(owner: str, docstring: Optional[str],
                       min_doc_words: int) -> Optional[str]:
    """Return what is wrong with owner's docstring, or None if nothing."""
    if docstring is None:
        return "{} has no docstring".format(owner)
    words = _count_words(docstring)
    if words == 0:
        return "the docstring of {} is empty".format(owner)
    if words < min_doc_words:
        return "the docstring of {}, {}, is not a real sentence: write at " \
               "least {} words".format(owner, _shorten(docstring.strip()),
                                       min_doc_words)
    return None


def _docstring_line(node: ast.AST) -> Optional[int]:
    """Return the line of node's docstring, or None if it has none."""
    body = getattr(node, "body", [])
    if ast.get_docstring(node, clean=False) is None:
        return None
    return body[0].lineno


def _module_docstring_findings(tree: ast.Module,
                               min_doc_words: int) -> List[_Finding]:
    """Return a G5 problem when the module's docstring is missing or poor."""
    problem = _docstring_problem("the module", ast.get_docstring(tree),
                                 min_doc_words)
    if problem is None:
        return []
    return [("G5", _docstring_line(tree) or 0, problem)]


def _docstring_findings(node: ast.AST, scopes: _Scopes,
                        min_doc_words: int) -> List[_Finding]:
    """Return a G5 problem when a class or function lacks a real docstring."""
    problem = _docstring_problem(_describe(node, scopes),
                                 ast.get_docstring(node), min_doc_words)
    if problem is None:
        return []
    return [("G5", _docstring_line(node) or node.lineno, problem)]


def _is_static(node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> bool:
    """Tell whether the function is decorated with staticmethod."""
    return any(_dotted(decorator).split(".")[-1] == "staticmethod"
               for decorator in node.decorator_list)


def _annotation_findings(node: Union[ast.FunctionDef, ast.AsyncFunctionDef],
                         scopes: _Scopes) -> List[_Finding]:
    """Return the G6 problems of one function: unannotated names, return."""
    owner = _describe(node, scopes)
    arguments = node.args
    positional = list(getattr(arguments, "posonlyargs", [])) + \
        list(arguments.args)
    is_method = bool(scopes) and isinstance(scopes[-1], ast.ClassDef)
    if (is_method and positional and not _is_static(node) and
            positional[0].arg in ("self", "cls")):
        positional = positional[1:]
    named: List[Tuple[str, ast.arg]] = [
        ("parameter " + arg.arg, arg)
        for arg in positional + list(arguments.kwonlyargs)]
    if arguments.vararg is not None:
        named.append(("*" + arguments.vararg.arg, arguments.vararg))
    if arguments.kwarg is not None:
        named.append(("**" + arguments.kwarg.arg, arguments.kwarg))
    findings: List[_Finding] = [
        ("G6", getattr(arg, "lineno", node.lineno),
         "{} of {} has no type annotation".format(label, owner))
        for label, arg in named if arg.annotation is None]
    if node.returns is None:
        advice = "; __init__ returns nothing, so write -> None" \
            if node.name == "__init__" else \
            " (write -> None if it returns nothing)"
        findings.append(("G6", node.lineno,
                         "{} has no return annotation{}".format(owner,
                                                                advice)))
    return findings


def _dotted(node: ast.AST) -> str:
    """Return an attribute chain as text, e.g. 'AUTH._db' or 'f()._db'."""
    parts: List[str] = []
    while len(parts) < _MAX_CHAIN:
        if isinstance(node, ast.Attribute):
            parts.append("." + node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        else:
            break
    head = node.id if isinstance(node, ast.Name) else "(...)"
    return head + "".join(reversed(parts))


def _attribute_uses(node: ast.AST) -> Iterator[Tuple[str, str]]:
    """Yield (attribute name, how it is written) for an attribute access.

    Both ``obj.attr`` and ``getattr(obj, "attr")`` (also setattr, hasattr,
    delattr) count as accessing ``attr``.
    """
    if isinstance(node, ast.Attribute):
        yield node.attr, _dotted(node)
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and
          node.func.id in ("getattr", "setattr", "hasattr", "delattr") and
          len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and
          isinstance(node.args[1].value, str)):
        yield node.args[1].value, "{}({}, {!r})".format(
            node.func.id, _dotted(node.args[0]), node.args[1].value)


def _imported(node: ast.AST) -> Iterator[Tuple[str, str]]:
    """Yield (module, name) for each name an import statement brings in.

    ``import a.b`` gives ('a.b', ''); ``from a import b`` gives ('a', 'b');
    a relative import keeps its dots, e.g. ('.db', 'DB').
    """
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, ""
    elif isinstance(node, ast.ImportFrom):
        module = "." * (node.level or 0) + (node.module or "")
        for alias in node.names:
            yield module, alias.name


def _app_findings(node: ast.AST) -> List[_Finding]:
    """Return the G7 problems of a node of app.py: it may only use Auth."""
    line = getattr(node, "lineno", 0)
    findings: List[_Finding] = []
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for (module, name), alias in zip(_imported(node), node.names):
            if module.lstrip(".").split(".")[0] == "db" or \
                    name in ("db", "DB") or alias.asname in ("db", "DB"):
                shown = "from {} import {}".format(module, name) if name \
                    else "import {}".format(module)
                if alias.asname:
                    shown += " as {}".format(alias.asname)
                findings.append(("G7", line, "app.py must not import db or "
                                 "DB ({}): the app talks only to Auth"
                                 .format(shown)))
    for attribute, written in _attribute_uses(node):
        if attribute in ("_db", "DB"):
            findings.append(("G7", line, "app.py uses {}: the app must not "
                             "reach the database behind Auth; call Auth's "
                             "public methods".format(written)))
    return findings


def _private_findings(name: str, node: ast.AST,
                      scopes: _Scopes) -> List[_Finding]:
    """Return the G8 problems of a node: private members used outside."""
    line = getattr(node, "lineno", 0)
    findings: List[_Finding] = []
    for attribute, written in _attribute_uses(node):
        if attribute in PRIVATE_ATTRIBUTES:
            home, owner = PRIVATE_ATTRIBUTES[attribute]
            inside = name == home and any(
                isinstance(scope, ast.ClassDef) and scope.name == owner
                for scope in scopes)
            if not inside:
                findings.append(("G8", line, "{} uses {}, private to class "
                                 "{} in {}: only {}'s own methods may use it"
                                 .format(written, attribute, owner, home,
                                         owner)))
        if attribute in PRIVATE_FUNCTIONS and name != "auth.py":
            findings.append(("G8", line, "{} uses {}, private to auth.py: "
                             "{} must neither import nor call it".format(
                                 written, attribute, name)))
    if name == "auth.py":
        return findings
    used = []
    if isinstance(node, ast.Name) and node.id in PRIVATE_FUNCTIONS:
        used.append(node.id)
    for _, imported in _imported(node):
        if imported in PRIVATE_FUNCTIONS:
            used.append(imported)
    for private in used:
        findings.append(("G8", line, "{} is private to auth.py: {} must "
                         "neither import nor call it".format(private, name)))
    return findings


def _sqlalchemy_aliases(tree: ast.Module) -> Dict[str, str]:
    """Return the local names bound to SQLAlchemy modules or names."""
    aliases: Dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and \
                not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = "{}.{}".format(
                    node.module, alias.name)
    return {local: full for local, full in aliases.items()
            if full.split(".")[0] == "sqlalchemy"}


def _newer_sqlalchemy(full: str) -> Optional[str]:
    """Return the advice if full names what SQLAlchemy 1.3 lacks."""
    for name, advice in NEWER_SQLALCHEMY.items():
        if full == name or full.startswith(name + "."):
            return advice
    return None


def _sqlalchemy_findings(node: ast.AST,
                         aliases: Dict[str, str]) -> List[_Finding]:
    """Return G10 problems for SQLAlchemy names that 1.3 does not have."""
    used: List[str] = []
    for module, name in _imported(node):
        if module.split(".")[0] == "sqlalchemy":
            used.append("{}.{}".format(module, name) if name else module)
    if isinstance(node, ast.Attribute) and _is_dotted_name(node):
        chain = _dotted(node).split(".")
        if chain[0] in aliases:
            full = ".".join([aliases[chain[0]]] + chain[1:])
            # Report a chain once: at its shortest part SQLAlchemy lacks.
            if NEWER_SQLALCHEMY.get(full) is not None:
                used.append(full)
    for full in used:
        advice = _newer_sqlalchemy(full)
        if advice is not None:
            return [("G10", getattr(node, "lineno", 0), "{} does not exist "
                     "in SQLAlchemy 1.3: {}".format(full, advice))]
    return []


def _is_dotted_name(node: ast.AST) -> bool:
    """Tell whether node is a plain name or a chain of attributes of one."""
    for _ in range(_MAX_CHAIN):
        if not isinstance(node, ast.Attribute):
            break
        node = node.value
    return isinstance(node, ast.Name)


def _unparenthesized_star(node: Optional[ast.AST]) -> bool:
    """Tell whether node is a tuple without parentheses holding a *item."""
    if not isinstance(node, ast.Tuple) or not node.elts:
        return False
    first = node.elts[0]
    return (any(isinstance(item, ast.Starred) for item in node.elts) and
            (node.lineno, node.col_offset) ==
            (first.lineno, first.col_offset))


def _continues_in(statements: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """Yield the continue statements that belong to no loop inside."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Continue):
            yield node
        elif not isinstance(node, _LOOPS + _SCOPES + (ast.Lambda,)):
            stack.extend(ast.iter_child_nodes(node))


def _python37_findings(node: ast.AST) -> List[_Finding]:
    """Return G10 problems for newer syntax that feature_version misses."""
    findings: List[_Finding] = []
    if isinstance(node, _SCOPES):
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) \
                else decorator
            if not _is_dotted_name(target):
                findings.append(("G10", decorator.lineno, "Python 3.7 only "
                                 "accepts a dotted name, maybe called, as a "
                                 "decorator"))
    if isinstance(node, (ast.Return, ast.Yield)) and \
            _unparenthesized_star(node.value):
        findings.append(("G10", node.lineno, "Python 3.7 needs parentheses "
                         "around a tuple holding *items here"))
    if isinstance(node, (ast.For, ast.AsyncFor)) and \
            _unparenthesized_star(node.iter):
        findings.append(("G10", node.lineno, "Python 3.7 needs parentheses "
                         "around a tuple holding *items here"))
    if isinstance(node, ast.Try):
        for statement in _continues_in(node.finalbody):
            findings.append(("G10", statement.lineno, "Python 3.7 does not "
                             "accept continue inside a finally clause"))
    return findings
