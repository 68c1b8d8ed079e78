#!/usr/bin/env python3
"""Text from student code made safe to show: one place escapes it.

Messages, names and output tails come from code an attacker wrote; a
terminal, a JSON file, a JUnit XML file and an HTML page all show them.
"""
import re

# Characters a report must not carry as they are: control characters
# (terminal escapes could rewrite an instructor's screen; a carriage return
# or a tab could fake a line), bidirectional marks and overrides (they
# reorder what is shown), line and paragraph separators, lone surrogates
# (not UTF-8) and the non-characters XML forbids. A newline is kept: an
# output tail is shown line by line; one_line() escapes it too.
UNPRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                         "\u2028\u2029\u202a-\u202e\u2066-\u2069"
                         "\ud800-\udfff\ufffe\uffff]")
NAMED_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}


def _escape(match: "re.Match[str]") -> str:
    """Spell one unprintable character out, e.g. as \\r or \\u202e."""
    character = match.group()
    code = ord(character)
    if character in NAMED_ESCAPES:
        return NAMED_ESCAPES[character]
    if 0xD800 <= code <= 0xDFFF or code >= 0xFFFE:
        return "\ufffd"
    if code < 0x100:
        return "\\x{:02x}".format(code)
    return "\\u{:04x}".format(code)


def printable(text: str) -> str:
    """Return text safe for a terminal, JSON and XML, escapes made visible.

    Newlines are kept; every other control character, and every
    bidirectional mark, is replaced by its escape.
    """
    return UNPRINTABLE.sub(_escape, text)


def one_line(text: str) -> str:
    """Return printable text on one line, its newlines escaped as well."""
    return printable(text).replace("\n", "\\n")
