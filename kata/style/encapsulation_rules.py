#!/usr/bin/env python3
"""The checks of the rules that keep the exercise's layers apart: G7, G8.

G7 lets app.py talk to Auth only, never to db or DB; G8 keeps the private
members of Auth, DB and auth.py inside them. An attribute counts as used
whether it is written ``obj.attr`` or ``getattr(obj, "attr")``.
"""
import ast
from typing import Dict, Iterator, List, Tuple

from kata.style.findings import Finding
from kata.style.sources import Source
from kata.style.syntax import Scopes, dotted, imported

# Private attributes, the file and the class where they may be used.
PRIVATE_ATTRIBUTES: Dict[str, Tuple[str, str]] = {
    "_session": ("db.py", "DB"),
    "_engine": ("db.py", "DB"),
    "_db": ("auth.py", "Auth"),
}
# Private functions of auth.py that no other file may import or use.
PRIVATE_FUNCTIONS = ("_hash_password", "_generate_uuid")


def app_talks_only_to_auth(source: Source) -> List[Finding]:
    """Find where app.py imports db or DB, or reaches behind Auth."""
    findings: List[Finding] = []
    for node, _ in source.nodes:
        findings.extend(_app_findings(node))
    return findings


def uses_only_public_members(source: Source) -> List[Finding]:
    """Find private members of Auth, DB and auth.py used outside them."""
    findings: List[Finding] = []
    for node, scopes in source.nodes:
        findings.extend(_private_findings(source.name, node, scopes))
    return findings


def _attribute_uses(node: ast.AST) -> Iterator[Tuple[str, str]]:
    """Yield (attribute name, how it is written) for an attribute access.

    Both ``obj.attr`` and ``getattr(obj, "attr")`` (also setattr, hasattr,
    delattr) count as accessing ``attr``.
    """
    if isinstance(node, ast.Attribute):
        yield node.attr, dotted(node)
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and
          node.func.id in ("getattr", "setattr", "hasattr", "delattr") and
          len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and
          isinstance(node.args[1].value, str)):
        yield node.args[1].value, "{}({}, {!r})".format(
            node.func.id, dotted(node.args[0]), node.args[1].value)


def _app_findings(node: ast.AST) -> List[Finding]:
    """Return the G7 problems of a node of app.py: it may only use Auth."""
    line = getattr(node, "lineno", 0)
    findings: List[Finding] = []
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for (module, name), alias in zip(imported(node), node.names):
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
                      scopes: Scopes) -> List[Finding]:
    """Return the G8 problems of a node: private members used outside."""
    line = getattr(node, "lineno", 0)
    findings: List[Finding] = []
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
    for _, imported_name in imported(node):
        if imported_name in PRIVATE_FUNCTIONS:
            used.append(imported_name)
    for private in used:
        findings.append((line, "{} is private to auth.py: {} must "
                         "neither import nor call it".format(private, name)))
    return findings
