#!/usr/bin/env python3
"""The routes of a Flask view, read from its decorators' source.

A view's function name is the student's choice; what it serves is not. The
splice, the charging of style problems and ``status`` all find a student's
view by what it serves, read here the one way: ``@app.route("/x",
methods=["POST"])`` serves ("/x", "POST"), a route without methods
("/x", "GET"), ``@app.put("/x")`` ("/x", "PUT"). A path or a method that
is not written out as text serves nothing. Nothing is imported or run.
"""
import ast
from typing import FrozenSet, Set, Tuple

# What a view serves: its path (no trailing slash but the root's) and one
# HTTP method.
Route = Tuple[str, str]
# Flask's shortcut decorators, @app.get("/x") and the like.
SHORTCUTS = ("get", "post", "put", "delete", "patch")


def view_routes(node: ast.AST) -> FrozenSet[Route]:
    """Return the (path, method) pairs a function's decorators route."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return frozenset()
    pairs: Set[Route] = set()
    for decorator in node.decorator_list:
        if not (isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.args
                and isinstance(decorator.args[0], ast.Constant)
                and isinstance(decorator.args[0].value, str)):
            continue
        path = decorator.args[0].value.rstrip("/") or "/"
        kind = decorator.func.attr
        if kind in SHORTCUTS:
            pairs.add((path, kind.upper()))
        elif kind == "route":
            pairs.update((path, method) for method in _methods(decorator))
    return frozenset(pairs)


def _methods(route: ast.Call) -> Set[str]:
    """Return the HTTP methods of an ``app.route(...)`` call, GET if none."""
    for keyword in route.keywords:
        if keyword.arg == "methods":
            if not isinstance(keyword.value, (ast.List, ast.Tuple, ast.Set)):
                return set()
            return {item.value.upper() for item in keyword.value.elts
                    if isinstance(item, ast.Constant)
                    and isinstance(item.value, str)}
    return {"GET"}
