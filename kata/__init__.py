#!/usr/bin/env python3
"""The kata's machinery, in layers: each package imports only those below.

From the bottom: catalogue, style, reading, verdict, sandbox, judge,
grading, reports, student, classroom, and the command line (cli.py).
"""
