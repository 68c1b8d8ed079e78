#!/usr/bin/env python3
"""Fingerprints of what grading depends on, to notice a modified tree.

Two manifests in sha256sum's format ("hash  path", a line per file) are
kept. The committed one, kata/MANIFEST.sha256, covers the shipped tree:
tests/, kata/ (the starter files in kata/catalogue/starter/ among it),
solution/ (the reference every step's own code is spliced into), pytest.ini,
requirements.txt and checker.sh. The second,
kata-libraries.sha256 in the virtual environment, covers the Python files
and shared objects of the pinned distributions; checker.sh writes it right
after it builds .venv/. At grading time both are compared with what is on
disk, and every changed, missing or extra file is reported.

Regenerate the committed manifest after every change to the tree with::

    ./checker.sh dev check --write
"""
import hashlib
import os
import posixpath
import re
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from kata.catalogue.steps import REPO_ROOT

MANIFEST = "kata/MANIFEST.sha256"
LIBRARIES_MANIFEST = "kata-libraries.sha256"
# What of the tree grading depends on: folders walked whole, single files.
TREE_FOLDERS = ("kata", "solution", "tests")
TREE_FILES = ("checker.sh", "pytest.ini", "requirements.txt")
SKIPPED_FOLDERS = ("__pycache__",)
# Files that running the reference by hand leaves behind (its database):
# they are not part of it, and no splice reads them.
SKIPPED_FILES = ("a.db",)
# What the splice and a new workspace read besides the specs: the reference
# solution and the starter files.
REFERENCE_FOLDERS = ("solution", "kata/catalogue/starter")
# What of an installed distribution is fingerprinted: its code.
LIBRARY_SUFFIXES = (".py", ".so")
WRITE_COMMAND = "./checker.sh dev check --write"
REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*[=<>~!;\[]")

Hashes = Dict[str, str]


def file_hash(path: Path) -> str:
    """Return the SHA-256 of a file's content, in hexadecimal."""
    digest = hashlib.sha256()
    with open(str(path), "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tree_paths(root: Path) -> Iterator[str]:
    """Yield the tree's covered files, relative to root, '/'-separated."""
    for name in TREE_FILES:
        if os.path.lexists(str(root / name)):
            yield name
    for folder in TREE_FOLDERS:
        for place, folders, files in os.walk(str(root / folder)):
            folders[:] = sorted(name for name in folders
                                if name not in SKIPPED_FOLDERS)
            relative = Path(place).relative_to(root).as_posix()
            for name in sorted(files):
                path = "{}/{}".format(relative, name)
                if path != MANIFEST and name not in SKIPPED_FILES:
                    yield path


def tree_hashes(root: Path = REPO_ROOT) -> Hashes:
    """Return the hash of every file of the tree under root, by path."""
    hashes = {}
    for path in _tree_paths(root):
        try:
            hashes[path] = file_hash(root / path)
        except OSError:
            # A dangling link or an unreadable file: it differs from any
            # recorded hash, so it is reported as changed.
            hashes[path] = "unreadable"
    return hashes


def fingerprint(hashes: Hashes) -> str:
    """Return one SHA-256 of a set of file hashes: equal sets, equal text."""
    return hashlib.sha256(render(hashes).encode("utf-8")).hexdigest()


def tree_fingerprint(root: Path = REPO_ROOT) -> str:
    """Return the fingerprint of the whole grading tree under root.

    Two checkers with the same fingerprint grade with the same specs and
    the same checker code: kata/classroom/engine.py refuses a worker whose
    differs.
    """
    return fingerprint(tree_hashes(root))


def specs_fingerprint(root: Path = REPO_ROOT) -> str:
    """Return the fingerprint of the specs alone: tests/ and pytest.ini."""
    return fingerprint({path: digest
                        for path, digest in tree_hashes(root).items()
                        if path.startswith("tests/")
                        or path == "pytest.ini"})


def pinned_distributions(root: Path = REPO_ROOT) -> List[str]:
    """Return the names of the distributions requirements.txt pins.

    Environment markers are not evaluated: a pinned distribution that
    this interpreter does not need is not installed, and so not hashed.
    """
    try:
        lines = (root / "requirements.txt").read_text().splitlines()
    except OSError:
        return []
    names = []
    for line in lines:
        found = REQUIREMENT_NAME.match(line.split("#", 1)[0])
        if found:
            names.append(found.group(1))
    return names


def _library_files(root: Path) -> Iterator[Tuple[str, Path]]:
    """Yield (shown path, location) of each pinned distribution's code.

    The shown path is the file's place in its distribution's RECORD, under
    "site-packages/": it does not depend on where the environment is.
    """
    from importlib import metadata

    for name in pinned_distributions(root):
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for entry in distribution.files or ():
            text = str(entry)
            if not (text.endswith(LIBRARY_SUFFIXES) or ".so." in text):
                continue
            shown = posixpath.normpath("site-packages/" + entry.as_posix())
            yield shown, Path(str(entry.locate()))


def _shown(location: Path, root: Path) -> str:
    """Return a path relative to root when it is inside it, else as is."""
    absolute = Path(os.path.abspath(str(location)))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def library_hashes(root: Path = REPO_ROOT) -> Hashes:
    """Return the hash of the pinned distributions' code files, by path."""
    hashes = {}
    for shown, location in _library_files(root):
        try:
            hashes[shown] = file_hash(location)
        except OSError:
            hashes[shown] = "unreadable"
    return hashes


def libraries_manifest_path() -> Path:
    """Return where the running environment keeps its libraries manifest."""
    return Path(sys.prefix) / LIBRARIES_MANIFEST


def render(hashes: Hashes) -> str:
    """Return hashes as a manifest's text, sorted by path."""
    return "".join("{}  {}\n".format(hashes[path], path)
                   for path in sorted(hashes))


def parse(text: str) -> Hashes:
    """Return the hashes a manifest's text records, by path."""
    hashes = {}
    for line in text.splitlines():
        digest, separator, path = line.partition("  ")
        if separator and path:
            hashes[path] = digest
    return hashes


def read(path: Path) -> Optional[Hashes]:
    """Return the hashes of a manifest file, or None when it is unreadable."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def write(path: Path, hashes: Hashes) -> None:
    """Write hashes to a manifest file."""
    path.write_text(render(hashes), encoding="utf-8")


def compare(recorded: Hashes, actual: Hashes) -> Dict[str, str]:
    """Return "changed", "missing" or "extra" for each differing path."""
    differences = {}
    for path in sorted(set(recorded) | set(actual)):
        if path not in actual:
            differences[path] = "missing"
        elif path not in recorded:
            differences[path] = "extra"
        elif recorded[path] != actual[path]:
            differences[path] = "changed"
    return differences


def tree_tampering(root: Path = REPO_ROOT) -> Dict[str, str]:
    """Return how the tree under root differs from its committed manifest."""
    recorded = read(root / MANIFEST)
    if recorded is None:
        return {MANIFEST: "missing"}
    return compare(recorded, tree_hashes(root))


def reference_intact(root: Path = REPO_ROOT) -> Optional[str]:
    """Return why the reference solution or the starter is not as shipped.

    None means that every file of solution/ and kata/catalogue/starter/ has the
    hash the committed manifest records, and that no file was added or removed
    there. Otherwise the result is one sentence naming what differs (or
    saying that the manifest itself cannot be read): the grading should
    then refuse to splice a student's code into that reference, since every
    verdict drawn from it would be wrong.
    """
    recorded = read(root / MANIFEST)
    if recorded is None:
        return "the reference cannot be checked: {} is missing or " \
            "unreadable".format(MANIFEST)
    prefixes = tuple(folder + "/" for folder in REFERENCE_FOLDERS)
    actual = {path: digest for path, digest in tree_hashes(root).items()
              if path.startswith(prefixes)}
    expected = {path: digest for path, digest in recorded.items()
                if path.startswith(prefixes)}
    if not expected:
        return "the reference cannot be checked: {} records no file of " \
            "{}".format(MANIFEST, " or ".join(REFERENCE_FOLDERS))
    differences = compare(expected, actual)
    if not differences:
        return None
    return "the reference code the steps are spliced into was modified: " \
        + describe(differences)


def library_tampering(root: Path = REPO_ROOT,
                      manifest: Optional[Path] = None) -> Dict[str, str]:
    """Return how the pinned libraries differ from their setup manifest."""
    manifest = libraries_manifest_path() if manifest is None else manifest
    recorded = read(manifest)
    if recorded is None:
        return {_shown(manifest, root): "missing"}
    return compare(recorded, library_hashes(root))


def tampering(root: Path = REPO_ROOT, libraries: bool = True,
              ) -> Dict[str, str]:
    """Return every difference of the grading tree and, if asked, libraries.

    The result maps a path to "changed", "missing" or "extra"; it is empty
    when everything grading depends on is as shipped and as installed.
    """
    found = tree_tampering(root)
    if libraries:
        found.update(library_tampering(root))
    return found


def describe(differences: Dict[str, str]) -> str:
    """Return the differences in words, e.g. ``tests/x.py changed``."""
    return ", ".join("{} {}".format(path, how)
                     for path, how in sorted(differences.items()))
