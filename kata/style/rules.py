#!/usr/bin/env python3
"""The general style rules G1-G10 of the kata, checked on submission files.

Each rule is declared once, below, by a function decorated with ``@rule``:
its id, its one-line title and the kinds of file it judges (G7 only app.py,
G9 only README.md, ...). The registry, ``REGISTRY``, is what the checker,
its reports and the pytest items of the specs read; ``RULES`` maps each id
to its title. ``steps/STYLE.md`` explains every rule, at ``#g1``..``#g10``.

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
import ast
import enum
import functools
import io
import os
import stat
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import (AbstractSet, Callable, Dict, Iterator, List, Optional,
                    Sequence, Tuple, Union)

import pycodestyle

SHEBANG = "#!/usr/bin/env python3"
README = "README.md"
PYTHON_VERSION = (3, 7)
# The page that explains every rule, relative to the kata's root; a rule's
# section there is its id in lower case, e.g. steps/STYLE.md#g4.
STYLE_PAGE = "steps/STYLE.md"
# No file of this exercise comes near this size (the solution's largest has
# 4 kB). pycodestyle needs up to two seconds for 100 kB, and more than linear
# time beyond, so a bigger file is reported instead of checked.
MAX_SOURCE_BYTES = 100 * 1024
# Past this many problems of one rule in one file, the rest are counted.
MAX_PROBLEMS_PER_RULE = 50

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
# What a rule finds: the line (0 for the whole file) and what is wrong.
_Finding = Tuple[int, str]


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


@dataclass
class Source:
    """One file of a submission as the rules see it, each part read once.

    data holds the file's first MAX_SOURCE_BYTES + 1 bytes; the text, the
    syntax tree and the walk of the tree are made when a rule first needs
    them. G9 is about the folder, so it looks at folder itself.
    """

    folder: Path
    name: str
    kind: FileKind
    data: bytes = b""
    mode: int = 0
    min_doc_words: int = 2

    @property
    def too_large(self) -> bool:
        """Tell whether the file is too large to be checked."""
        return len(self.data) > MAX_SOURCE_BYTES

    @functools.cached_property
    def decoded(self) -> Tuple[Optional[str], List[_Finding]]:
        """Return the text, or None and why the file is not UTF-8 text."""
        if self.too_large:
            return None, []
        return _decode(self.data)

    @property
    def text(self) -> Optional[str]:
        """Return the file's text, None when it is too large or not text."""
        return self.decoded[0]

    @functools.cached_property
    def parsed(self) -> Tuple[Optional[ast.Module], List[_Finding]]:
        """Return the syntax tree, or None, and the G10 parse problems."""
        if self.text is None:
            return None, []
        return _parse(self.data)

    @functools.cached_property
    def nodes(self) -> List[Tuple[ast.AST, _Scopes]]:
        """Return every node of the tree with the scopes around it."""
        tree = self.parsed[0]
        return [] if tree is None else list(_walk(tree))


RuleCheck = Callable[[Source], List[_Finding]]


@dataclass(frozen=True)
class Rule:
    """One style rule: its id, its title, the files it judges, its check."""

    id: str
    title: str
    applies_to: AbstractSet[FileKind]
    check: RuleCheck

    @property
    def reference(self) -> str:
        """Return where steps/STYLE.md explains the rule, e.g. ...#g4."""
        return "{}#{}".format(STYLE_PAGE, self.id.lower())


# Every rule by its id, in the order they are declared: G1 to G10.
REGISTRY: Dict[str, Rule] = {}


def rule(rule_id: str, title: str,
         applies_to: AbstractSet[FileKind]) -> Callable[[RuleCheck],
                                                        RuleCheck]:
    """Return a decorator that registers its function as a rule's check."""
    def register(check: RuleCheck) -> RuleCheck:
        """Add the rule to REGISTRY; an id is declared only once."""
        if rule_id in REGISTRY:
            raise ValueError("style rule {} is declared twice".format(
                rule_id))
        REGISTRY[rule_id] = Rule(rule_id, title, frozenset(applies_to),
                                 check)
        return check
    return register


def rules_for(kind: FileKind) -> List[Rule]:
    """Return the rules that judge a file of this kind, G1 first."""
    return [item for item in REGISTRY.values() if kind in item.applies_to]


@rule("G1", "the first line is exactly #!/usr/bin/env python3", PYTHON)
def first_line_is_the_shebang(source: Source) -> List[_Finding]:
    """Find a first line that is not exactly the shebang."""
    if source.text is None:
        return []
    return _shebang_findings(source.text)


@rule("G2", "the file ends with a newline", PYTHON | {FileKind.TEXT})
def ends_with_a_newline(source: Source) -> List[_Finding]:
    """Find a last line without its newline, in a text file.

    A file that is not text at all gets no G2 problem: G10 (Python) or G9
    (the README) reports it.
    """
    if source.text is None:
        return []
    data = source.data
    if data and not data.endswith(b"\n"):
        return [(data.count(b"\n") + 1,
                 "the last line does not end with a newline")]
    return []


@rule("G3", "the file is executable", PYTHON)
def is_executable(source: Source) -> List[_Finding]:
    """Find a file its owner may not execute."""
    if source.mode & stat.S_IXUSR:
        return []
    return [(0, "the file is not executable; run chmod +x {}".format(
        source.name))]


@rule("G4", "pycodestyle 2.5 passes", PYTHON)
def passes_pycodestyle(source: Source) -> List[_Finding]:
    """Find what pycodestyle, with its default options, reports."""
    if source.too_large:
        return [(0, "the file is larger than {} bytes, too large to be "
                 "checked; a file of this exercise holds a few kilobytes"
                 .format(MAX_SOURCE_BYTES))]
    if source.text is None:
        return []
    return _pycodestyle_findings(source.name, source.data)


@rule("G5", "the module, every class and every function has a docstring "
      "that is a real sentence", PYTHON)
def has_real_docstrings(source: Source) -> List[_Finding]:
    """Find the module, classes and functions without a real docstring."""
    tree = source.parsed[0]
    if tree is None:
        return []
    findings = _module_docstring_findings(tree, source.min_doc_words)
    for node, scopes in source.nodes:
        if isinstance(node, _SCOPES):
            findings.extend(_docstring_findings(node, scopes,
                                                source.min_doc_words))
    return findings


@rule("G6", "every function is fully type-annotated, parameters and "
      "return", PYTHON)
def is_fully_annotated(source: Source) -> List[_Finding]:
    """Find the parameters and returns without a type annotation."""
    findings: List[_Finding] = []
    for node, scopes in source.nodes:
        if isinstance(node, _FUNCTIONS):
            findings.extend(_annotation_findings(node, scopes))
    return findings


@rule("G7", "the Flask app talks only to Auth, never to DB",
      {FileKind.APP})
def app_talks_only_to_auth(source: Source) -> List[_Finding]:
    """Find where app.py imports db or DB, or reaches behind Auth."""
    findings: List[_Finding] = []
    for node, _ in source.nodes:
        findings.extend(_app_findings(node))
    return findings


@rule("G8", "only public members of Auth and DB are used outside them",
      EXERCISE_PYTHON)
def uses_only_public_members(source: Source) -> List[_Finding]:
    """Find private members of Auth, DB and auth.py used outside them."""
    findings: List[_Finding] = []
    for node, scopes in source.nodes:
        findings.extend(_private_findings(source.name, node, scopes))
    return findings


@rule("G9", "a README.md at the submission's root", {FileKind.README})
def has_a_readme(source: Source) -> List[_Finding]:
    """Find a missing, misnamed, unreadable or empty README.md.

    The README must be a regular file at the submission's root, holding
    UTF-8 text that says something (not only blanks).
    """
    path = Path(source.folder) / README
    if path.is_file():
        try:
            with open(str(path), "rb") as stream:
                data = stream.read(MAX_SOURCE_BYTES + 1)
        except OSError as error:
            return [(0, "README.md cannot be read ({})".format(error))]
        if len(data) > MAX_SOURCE_BYTES:
            return []  # a long README is still a README
        text, findings = _decode(data)
        if text is not None and not text.strip():
            findings.append((0, "README.md is empty: say what the project "
                             "is"))
        return findings
    if path.exists() or path.is_symlink():
        return [(0, "README.md must be a file at the root of the "
                 "submission")]
    text = "the submission has no README.md at its root"
    near = _near_readme_names(Path(source.folder))
    if near:
        text += "; found {}, but the name must be exactly README.md".format(
            ", ".join(near))
    return [(0, text)]


@rule("G10", "the code runs on SQLAlchemy 1.3 and parses as Python 3.7",
      EXERCISE_PYTHON)
def runs_on_python37_and_sqlalchemy13(source: Source) -> List[_Finding]:
    """Find text that is not Python 3.7, and names SQLAlchemy 1.3 lacks."""
    if source.too_large:
        return []  # G4 reports it
    text, findings = source.decoded
    if text is None:
        return findings
    tree, problems = source.parsed
    findings = findings + problems
    if tree is None:
        return findings
    aliases = _sqlalchemy_aliases(tree)
    for node, _ in source.nodes:
        findings.extend(_sqlalchemy_findings(node, aliases))
        findings.extend(_python37_findings(node))
    return findings


# The title of every rule by its id, G1 to G10.
RULES: Dict[str, str] = {item.id: item.title for item in REGISTRY.values()}


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
    rule_id = "G10" if name.endswith(".py") else "G2"
    return [make_problem(rule_id, name, 0, text)]


def _decode(data: bytes) -> Tuple[Optional[str], List[_Finding]]:
    """Return data as text, or None and why it is not UTF-8 text."""
    if b"\0" in data:
        line = data[:data.index(b"\0")].count(b"\n") + 1
        return None, [(line, "the file holds a NUL byte: it is a binary "
                       "file, not text")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        return None, [(line, "the file is not valid UTF-8 text (byte "
                       "{:#04x}); save it as UTF-8".format(
                           data[error.start]))]


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
    return [(1, "the first line must be exactly {}, but {}".format(
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
        return [(0, "pycodestyle could not check the file ({}: {})"
                 .format(type(error).__name__, error))]
    return [(line, "pycodestyle {} at column {}: {}".format(
        code, column, text)) for line, column, code, text in report.found]


def _parse(source: bytes) -> Tuple[Optional[ast.Module], List[_Finding]]:
    """Parse source as Python 3.7; return the tree and any G10 problem.

    The source is given as bytes so that Python reads it as it would read
    the file (byte-order mark, coding declaration). Code that only a newer
    Python accepts is reported, and its tree is still returned so that the
    other rules can judge it.
    """
    too_deep = [(0, "Python cannot parse the file: it is nested too "
                 "deeply or too large")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source, feature_version=PYTHON_VERSION), []
        except SyntaxError as error:
            old = (error.lineno or 0, "Python 3.7 cannot parse this "
                   "line: {}".format(error.msg))
        except (ValueError, RecursionError, MemoryError):
            return None, too_deep
        try:
            return ast.parse(source), [old]
        except SyntaxError as error:
            return None, [(error.lineno or 0, "{} is not valid "
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
    return [(_docstring_line(tree) or 0, problem)]


def _docstring_findings(node: ast.AST, scopes: _Scopes,
                        min_doc_words: int) -> List[_Finding]:
    """Return a G5 problem when a class or function lacks a real docstring."""
    problem = _docstring_problem(_describe(node, scopes),
                                 ast.get_docstring(node), min_doc_words)
    if problem is None:
        return []
    return [(_docstring_line(node) or node.lineno, problem)]


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
        (getattr(arg, "lineno", node.lineno),
         "{} of {} has no type annotation".format(label, owner))
        for label, arg in named if arg.annotation is None]
    if node.returns is None:
        advice = "; __init__ returns nothing, so write -> None" \
            if node.name == "__init__" else \
            " (write -> None if it returns nothing)"
        findings.append((node.lineno,
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
                findings.append((line, "app.py must not import db or "
                                 "DB ({}): the app talks only to Auth"
                                 .format(shown)))
    for attribute, written in _attribute_uses(node):
        if attribute in ("_db", "DB"):
            findings.append((line, "app.py uses {}: the app must not "
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
                findings.append((line, "{} uses {}, private to class "
                                 "{} in {}: only {}'s own methods may use it"
                                 .format(written, attribute, owner, home,
                                         owner)))
        if attribute in PRIVATE_FUNCTIONS and name != "auth.py":
            findings.append((line, "{} uses {}, private to auth.py: "
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
        findings.append((line, "{} is private to auth.py: {} must "
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
            return [(getattr(node, "lineno", 0), "{} does not exist "
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
                findings.append((decorator.lineno, "Python 3.7 only "
                                 "accepts a dotted name, maybe called, as a "
                                 "decorator"))
    if isinstance(node, (ast.Return, ast.Yield)) and \
            _unparenthesized_star(node.value):
        findings.append((node.lineno, "Python 3.7 needs parentheses "
                         "around a tuple holding *items here"))
    if isinstance(node, (ast.For, ast.AsyncFor)) and \
            _unparenthesized_star(node.iter):
        findings.append((node.lineno, "Python 3.7 needs parentheses "
                         "around a tuple holding *items here"))
    if isinstance(node, ast.Try):
        for statement in _continues_in(node.finalbody):
            findings.append((statement.lineno, "Python 3.7 does not "
                             "accept continue inside a finally clause"))
    return findings
