#!/usr/bin/env python3
"""A file of a submission as the style rules read it: bytes, text, tree.

Student files are untrusted: a file that is binary, not UTF-8, huge or not
even Python gives findings, never an exception. Each part of a file (its
text, its syntax tree, the walk of the tree) is made once, when a rule
first needs it.
"""
import ast
import functools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from kata.style.findings import Finding
from kata.style.kinds import FileKind
from kata.style.syntax import Scopes, walk

PYTHON_VERSION = (3, 7)
# No file of this exercise comes near this size (the solution's largest has
# 4 kB). pycodestyle needs up to two seconds for 100 kB, and more than linear
# time beyond, so a bigger file is reported instead of checked.
MAX_SOURCE_BYTES = 100 * 1024


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
    def decoded(self) -> Tuple[Optional[str], List[Finding]]:
        """Return the text, or None and why the file is not UTF-8 text."""
        if self.too_large:
            return None, []
        return decode(self.data)

    @property
    def text(self) -> Optional[str]:
        """Return the file's text, None when it is too large or not text."""
        return self.decoded[0]

    @functools.cached_property
    def parsed(self) -> Tuple[Optional[ast.Module], List[Finding]]:
        """Return the syntax tree, or None, and the G10 parse problems."""
        if self.text is None:
            return None, []
        return parse(self.data)

    @functools.cached_property
    def nodes(self) -> List[Tuple[ast.AST, Scopes]]:
        """Return every node of the tree with the scopes around it."""
        tree = self.parsed[0]
        return [] if tree is None else list(walk(tree))


def decode(data: bytes) -> Tuple[Optional[str], List[Finding]]:
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


def parse(source: bytes) -> Tuple[Optional[ast.Module], List[Finding]]:
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
