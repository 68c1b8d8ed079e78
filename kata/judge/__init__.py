#!/usr/bin/env python3
"""The judges: pytest runs of the specs against a sandboxed subject."""
