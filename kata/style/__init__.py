#!/usr/bin/env python3
"""The style rules G1-G10 that a submission's files are checked against."""
