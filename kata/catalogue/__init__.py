#!/usr/bin/env python3
"""The catalogue: the steps, the starter, known right and wrong answers.

It also makes the README's table of steps and the manifest of the tree.
"""
