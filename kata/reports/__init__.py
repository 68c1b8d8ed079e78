#!/usr/bin/env python3
"""Reports of a grade: text, JSON, JUnit and the class page."""
