#!/usr/bin/env python3
"""The style rules G1-G10 that a submission's files are checked against.

From the bottom: kinds (which rules a file gets), findings, syntax and
sources (a file as the rules read it), pycodestyle_adapter, the checks of
the rules (file_rules, documentation_rules, encapsulation_rules,
readme_rule, compatibility_rules), registry (G1-G10 declared once), and
checking, whose check_file and check_readme the rest of the kata calls.
"""
