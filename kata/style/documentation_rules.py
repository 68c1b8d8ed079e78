#!/usr/bin/env python3
"""The checks of the rules on what each definition tells: G5 and G6.

G5 wants a docstring that is a real sentence on the module, every class
and every function; G6 a type annotation on every parameter and every
return. Both read the syntax tree, so a file that does not parse gets
neither.
"""
import ast
from typing import List, Optional, Tuple, Union

from kata.style.findings import Finding, shorten
from kata.style.sources import Source
from kata.style.syntax import SCOPES, Scopes, dotted

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def has_real_docstrings(source: Source) -> List[Finding]:
    """Find the module, classes and functions without a real docstring."""
    tree = source.parsed[0]
    if tree is None:
        return []
    findings = _module_docstring_findings(tree, source.min_doc_words)
    for node, scopes in source.nodes:
        if isinstance(node, SCOPES):
            findings.extend(_docstring_findings(node, scopes,
                                                source.min_doc_words))
    return findings


def is_fully_annotated(source: Source) -> List[Finding]:
    """Find the parameters and returns without a type annotation."""
    findings: List[Finding] = []
    for node, scopes in source.nodes:
        if isinstance(node, _FUNCTIONS):
            findings.extend(_annotation_findings(node, scopes))
    return findings


def _describe(node: ast.AST, scopes: Scopes) -> str:
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
               "least {} words".format(owner, shorten(docstring.strip()),
                                       min_doc_words)
    return None


def _docstring_line(node: ast.AST) -> Optional[int]:
    """Return the line of node's docstring, or None if it has none."""
    body = getattr(node, "body", [])
    if ast.get_docstring(node, clean=False) is None:
        return None
    return body[0].lineno


def _module_docstring_findings(tree: ast.Module,
                               min_doc_words: int) -> List[Finding]:
    """Return a G5 problem when the module's docstring is missing or poor."""
    problem = _docstring_problem("the module", ast.get_docstring(tree),
                                 min_doc_words)
    if problem is None:
        return []
    return [(_docstring_line(tree) or 0, problem)]


def _docstring_findings(node: ast.AST, scopes: Scopes,
                        min_doc_words: int) -> List[Finding]:
    """Return a G5 problem when a class or function lacks a real docstring."""
    problem = _docstring_problem(_describe(node, scopes),
                                 ast.get_docstring(node), min_doc_words)
    if problem is None:
        return []
    return [(_docstring_line(node) or node.lineno, problem)]


def _is_static(node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> bool:
    """Tell whether the function is decorated with staticmethod."""
    return any(dotted(decorator).split(".")[-1] == "staticmethod"
               for decorator in node.decorator_list)


def _annotation_findings(node: Union[ast.FunctionDef, ast.AsyncFunctionDef],
                         scopes: Scopes) -> List[Finding]:
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
    findings: List[Finding] = [
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
