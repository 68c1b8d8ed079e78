#!/usr/bin/env python3
"""The checks of the rules that judge a file before its code: G1 to G4.

G1 wants the shebang as the first line, G2 a newline at the end, G3 the
executable bit and G4 a clean pycodestyle report. None of them needs the
syntax tree, so they judge a file that does not parse as well.
"""
import stat
from typing import List

from kata.style.findings import Finding, shorten
from kata.style.pycodestyle_adapter import pycodestyle_findings
from kata.style.sources import MAX_SOURCE_BYTES, Source

SHEBANG = "#!/usr/bin/env python3"


def first_line_is_the_shebang(source: Source) -> List[Finding]:
    """Find a first line that is not exactly the shebang."""
    if source.text is None:
        return []
    return _shebang_findings(source.text)


def ends_with_a_newline(source: Source) -> List[Finding]:
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


def is_executable(source: Source) -> List[Finding]:
    """Find a file its owner may not execute."""
    if source.mode & stat.S_IXUSR:
        return []
    return [(0, "the file is not executable; run chmod +x {}".format(
        source.name))]


def passes_pycodestyle(source: Source) -> List[Finding]:
    """Find what pycodestyle, with its default options, reports."""
    if source.too_large:
        return [(0, "the file is larger than {} bytes, too large to be "
                 "checked; a file of this exercise holds a few kilobytes"
                 .format(MAX_SOURCE_BYTES))]
    if source.text is None:
        return []
    return pycodestyle_findings(source.name, source.data)


def _shebang_findings(text: str) -> List[Finding]:
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
        why = "it is {}".format(shorten(first))
    return [(1, "the first line must be exactly {}, but {}".format(
        SHEBANG, why))]
