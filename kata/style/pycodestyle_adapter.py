#!/usr/bin/env python3
"""pycodestyle run on a file's bytes, its reports kept as findings (G4).

pycodestyle is run as a library with its default options, whatever
configuration files the submission or the machine holds, and quietly: what
it finds is returned, never printed.
"""
import io
import tokenize
import warnings
from typing import List, Optional, Tuple

import pycodestyle

from kata.style.findings import Finding


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


def pycodestyle_findings(name: str, data: bytes) -> List[Finding]:
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
