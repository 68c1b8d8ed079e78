#!/usr/bin/env python3
"""The student's tools: the workspace, status and watch."""
