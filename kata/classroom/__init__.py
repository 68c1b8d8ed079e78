#!/usr/bin/env python3
"""The instructor's tools for a class: rosters, clusters, similarity."""
