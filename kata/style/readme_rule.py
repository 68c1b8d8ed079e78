#!/usr/bin/env python3
"""The check of the rule on the submission's README.md: G9.

G9 is about the folder rather than one file: the README must be a regular
file at the submission's root, holding UTF-8 text that says something. A
README under a near name (readme.md, README.txt, ...) is pointed out.
"""
import os
from pathlib import Path
from typing import List

from kata.style.findings import Finding
from kata.style.kinds import README
from kata.style.sources import MAX_SOURCE_BYTES, Source, decode


def has_a_readme(source: Source) -> List[Finding]:
    """Find a missing, misnamed, unreadable or empty README.md.

    The README must be a regular file at the submission's root, holding
    UTF-8 text that says something (not only blanks).
    """
    path = Path(source.folder) / README
    if path.is_file():
        try:
            with open(str(path), "rb") as stream:
                data = stream.read(MAX_SOURCE_BYTES + 1)
        except OSError as error:
            return [(0, "README.md cannot be read ({})".format(error))]
        if len(data) > MAX_SOURCE_BYTES:
            return []  # a long README is still a README
        text, findings = decode(data)
        if text is not None and not text.strip():
            findings.append((0, "README.md is empty: say what the project "
                             "is"))
        return findings
    if path.exists() or path.is_symlink():
        return [(0, "README.md must be a file at the root of the "
                 "submission")]
    text = "the submission has no README.md at its root"
    near = _near_readme_names(Path(source.folder))
    if near:
        text += "; found {}, but the name must be exactly README.md".format(
            ", ".join(near))
    return [(0, text)]


def _near_readme_names(folder: Path) -> List[str]:
    """Return the names in folder that look like a misnamed README."""
    try:
        names = os.listdir(str(folder))
    except OSError:
        return []
    return sorted(name for name in names
                  if name.lower() in ("readme.md", "readme", "readme.txt",
                                      "readme.rst", "readme.md.txt")
                  and name != README)[:3]
