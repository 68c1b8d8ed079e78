#!/usr/bin/env python3
"""What maintainers regenerate, and whether it is out of date.

Two files are generated from the tree: the README's table of steps (from
the list of steps) and the manifest of the shipped tree (from its files).
``./checker.sh dev check`` lists the stale ones; with ``--write`` it
regenerates them.
"""
from pathlib import Path
from typing import List

from kata.catalogue import docs, manifest
from kata.catalogue.steps import REPO_ROOT

# How many of the tree's differences from its manifest are named.
SHOWN_DIFFERENCES = 5


def _readme_stale(root: Path) -> bool:
    """Tell whether the README's table of steps differs from the steps."""
    text = (root / "README.md").read_text()
    return docs.readme_with_table(text) != text


def out_of_date(root: Path = REPO_ROOT) -> List[str]:
    """Return a line per generated file that does not match its source."""
    stale = []
    if _readme_stale(root):
        stale.append("README.md: the table of steps differs from "
                     "kata/catalogue/steps.py")
    differences = manifest.tree_tampering(root)
    if differences:
        shown = dict(sorted(differences.items())[:SHOWN_DIFFERENCES])
        more = len(differences) - len(shown)
        stale.append("{}: {}{}".format(
            manifest.MANIFEST, manifest.describe(shown),
            " and {} more".format(more) if more else ""))
    return stale


def refresh(root: Path = REPO_ROOT) -> List[str]:
    """Regenerate what is out of date; return the files rewritten."""
    written = []
    if _readme_stale(root):
        readme = root / "README.md"
        readme.write_text(docs.readme_with_table(readme.read_text()))
        written.append("README.md")
    if manifest.tree_tampering(root):
        manifest.write(root / manifest.MANIFEST, manifest.tree_hashes(root))
        written.append(manifest.MANIFEST)
    return written
