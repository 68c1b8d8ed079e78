#!/usr/bin/env python3
"""The reading of a syntax tree that several style rules share.

Every node comes with the classes and functions around it; an attribute
chain reads as text (``AUTH._db``); an import says which names it brings
in. Student code is untrusted, so nothing here recurses on the tree and
attribute chains are read to a bounded depth.
"""
import ast
from typing import Iterator, List, Tuple

SCOPES = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# Attribute chains are read this deep at most, so hostile code stays cheap.
MAX_CHAIN = 32
# The classes and functions around a node, the outermost first.
Scopes = Tuple[ast.AST, ...]


def walk(tree: ast.AST) -> Iterator[Tuple[ast.AST, Scopes]]:
    """Yield every node with the classes and functions around it."""
    stack: List[Tuple[ast.AST, Scopes]] = [(tree, ())]
    while stack:
        node, scopes = stack.pop()
        yield node, scopes
        inner = scopes + (node,) if isinstance(node, SCOPES) else scopes
        children = list(ast.iter_child_nodes(node))
        stack.extend((child, inner) for child in reversed(children))


def dotted(node: ast.AST) -> str:
    """Return an attribute chain as text, e.g. 'AUTH._db' or 'f()._db'."""
    parts: List[str] = []
    while len(parts) < MAX_CHAIN:
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


def imported(node: ast.AST) -> Iterator[Tuple[str, str]]:
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
