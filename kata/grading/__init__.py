#!/usr/bin/env python3
"""Grading: the orchestration of a grading's runs, the charging of bugs."""
