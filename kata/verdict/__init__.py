#!/usr/bin/env python3
"""The model of a grade, and how its checks are made from a submission."""
