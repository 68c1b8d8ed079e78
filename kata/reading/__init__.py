#!/usr/bin/env python3
"""Reading a submission's code: safe text, routes and who owns a line.

Also how a step is spliced among the reference, whether it is started,
and what a mentor would say about code that passes.
"""
