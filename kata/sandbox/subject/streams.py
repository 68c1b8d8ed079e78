#!/usr/bin/env python3
"""Point a process's standard streams at a file, its input at nothing.

Used inside the sandbox (each test's child) and by the judge's runs alike;
it lives here because the sandbox sees only this package.
"""
import os
import sys
from typing import Union


def redirect(path: Union[str, int], append: bool = False) -> None:
    """Send stdout and stderr to path (line-buffered), stdin from nowhere.

    path may be an open descriptor instead, which stays open. The Python
    streams are replaced too: the process may run under something (pytest,
    a progress bar) that replaced them.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    mode = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append
                                       else os.O_TRUNC)
    output = os.dup(path) if isinstance(path, int) else \
        os.open(path, mode, 0o600)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    os.close(nothing)
    sys.stdout = sys.__stdout__ = open(1, "w", closefd=False, buffering=1)
    sys.stderr = sys.__stderr__ = open(2, "w", closefd=False, buffering=1)
