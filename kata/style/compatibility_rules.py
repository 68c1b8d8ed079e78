#!/usr/bin/env python3
"""The check of the rule on the versions the code must run on: G10.

The exercise runs on Python 3.7 and SQLAlchemy 1.3. G10 reports text that
is not Python at all, syntax that only a newer Python accepts (the few
forms that ast's feature_version lets through included) and the names of
SQLAlchemy 1.4 and 2.0 that 1.3 lacks, each with what to write instead.
"""
import ast
from typing import Dict, Iterator, List, Optional, Sequence

from kata.style.findings import Finding
from kata.style.sources import Source
from kata.style.syntax import MAX_CHAIN, SCOPES, dotted, imported

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
# A continue inside one of these is that loop's, not the finally's.
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def runs_on_python37_and_sqlalchemy13(source: Source) -> List[Finding]:
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
                         aliases: Dict[str, str]) -> List[Finding]:
    """Return G10 problems for SQLAlchemy names that 1.3 does not have."""
    used: List[str] = []
    for module, name in imported(node):
        if module.split(".")[0] == "sqlalchemy":
            used.append("{}.{}".format(module, name) if name else module)
    if isinstance(node, ast.Attribute) and _is_dotted_name(node):
        chain = dotted(node).split(".")
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
    for _ in range(MAX_CHAIN):
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
        elif not isinstance(node, _LOOPS + SCOPES + (ast.Lambda,)):
            stack.extend(ast.iter_child_nodes(node))


def _python37_findings(node: ast.AST) -> List[Finding]:
    """Return G10 problems for newer syntax that feature_version misses."""
    findings: List[Finding] = []
    if isinstance(node, SCOPES):
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
