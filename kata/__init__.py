#!/usr/bin/env python3
"""The kata's machinery: the list of steps, grading, reports and workflows."""
