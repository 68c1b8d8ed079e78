#!/usr/bin/env python3
"""What a style rule finds in a file, before it is told as a problem.

A rule's check returns findings, each the line (0 for the whole file) and
what is wrong there; kata/style/checking.py turns them into the messages a
student reads.
"""
from typing import Tuple

# What a rule finds: the line (0 for the whole file) and what is wrong.
Finding = Tuple[int, str]


def shorten(text: str, limit: int = 50) -> str:
    """Return repr(text), cut to about limit characters."""
    shown = repr(text)
    if len(shown) > limit:
        shown = shown[:limit - 4] + "...'"
    return shown
