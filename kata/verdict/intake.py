#!/usr/bin/env python3
"""Take a submission in: copy its own files, refuse what must not be read.

The copy is what every later stage reads; the submission folder itself is
never written to.
"""
import ast
import errno
import functools
import os
import stat
from pathlib import Path
from typing import Collection, Dict, Iterable, List, Optional, Tuple

from kata.catalogue import manifest
from kata.catalogue.steps import MAX_FILE_BYTES, REPO_ROOT, SUBMISSION_FILES

# How many modules of its own, besides the exercise files, a submission's
# files may import and have graded; the ones past it are refused.
MAX_EXTRA_MODULES = 20


class Snapshot(Dict[str, str]):
    """Why each refused file of a submission was refused, by name.

    It also names, in extra_modules, the modules besides the exercise files
    that were copied because the exercise files import them.
    """

    def __init__(self) -> None:
        """Start with nothing refused and no extra module."""
        super().__init__()
        self.extra_modules: List[str] = []


def snapshot(submission: Path, destination: Path) -> Snapshot:
    """Copy the submission's own files into destination.

    Only the files of the exercise are copied, and the modules of the
    folder that they import, directly or transitively (junk such as a.db,
    caches, a virtualenv or a module nothing imports is left alone), and
    only regular files: a symbolic link is not followed, a FIFO, a device
    or a folder is not opened, nor is more than MAX_FILE_BYTES read. Return
    why each refused file was refused, by name; a missing file is not
    refused, just absent from the copy. The copied extra modules are listed,
    sorted, in the result's extra_modules.
    """
    destination.mkdir(parents=True, exist_ok=True)
    refused = Snapshot()
    for name in SUBMISSION_FILES:
        reason = _copy_regular_file(submission / name, destination / name,
                                    name)
        if reason is not None:
            refused[name] = reason
    # Each copied Python file is scanned for the modules it imports; a
    # module of the folder is a plain x.py at its top: a package (a folder
    # x/) is not looked for, nor is a module of a subfolder. A name with no
    # x.py in the folder is a library's (or a missing module, which the
    # spec run reports); an x.py that shadows a library is the submission's.
    queue = [name for name in SUBMISSION_FILES if name.endswith(".py")]
    considered = set(SUBMISSION_FILES)
    while queue:
        scanned = queue.pop(0)
        if scanned in refused:
            continue
        for module in imported_modules(destination / scanned):
            name = module + ".py"
            if name in considered or not _lexists(submission / name):
                continue
            considered.add(name)
            if len(considered) - len(SUBMISSION_FILES) > MAX_EXTRA_MODULES:
                refused[name] = (
                    "{} was not copied: at most {} modules besides the "
                    "exercise files are graded".format(name,
                                                       MAX_EXTRA_MODULES))
                continue
            reason = _copy_regular_file(submission / name,
                                        destination / name, name)
            if reason is not None:
                refused[name] = reason
            elif (destination / name).is_file():
                refused.extra_modules.append(name)
                queue.append(name)
    refused.extra_modules.sort()
    return refused


def _lexists(path: Path) -> bool:
    """Tell whether path names anything, a broken symbolic link included."""
    try:
        os.lstat(str(path))
    except (OSError, ValueError):
        return False
    return True


def imported_modules(path: Path) -> Tuple[str, ...]:
    """Return the top-level modules a Python file imports, e.g. wrappers.

    It reads a copy's files and, in ``watch``, the student's own.

    ``import x.y`` and ``from x.y import z`` give x; a relative import
    gives nothing. A file that cannot be read or parsed imports nothing.
    """
    try:
        info = os.lstat(str(path))
    except (OSError, ValueError):
        return ()
    if not stat.S_ISREG(info.st_mode):
        return ()
    return _parsed_imports(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=256)
def _parsed_imports(path: str, mtime_ns: int, size: int) -> Tuple[str, ...]:
    """Parse one file of a copy for its imports; cached by path and times.

    The modification time and the size are part of the key so that a file
    changed since is read again.
    """
    try:
        # Neither a link that took the file's place nor a FIFO is read.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW
                             | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return ()
            source = read_at_most(descriptor, MAX_FILE_BYTES + 1)
        finally:
            os.close(descriptor)
        tree = ast.parse(source, path)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif (isinstance(node, ast.ImportFrom) and not node.level
              and node.module):
            modules.add(node.module.split(".")[0])
    return tuple(sorted(modules))


def imported_extra_modules(copy: Path, names: Iterable[str],
                           known: Collection[str]) -> List[str]:
    """Return the extra modules that files of a copy import, sorted.

    The files are names (exercise files of copy); their imports are
    followed, directly and transitively, through the modules of known (the
    extra modules snapshot copied or refused). A module of known that the
    copy lacks (it was refused) is listed but not followed, nor is another
    exercise file: what it imports goes with its own tasks.
    """
    found: List[str] = []
    queue = [name for name in names if name.endswith(".py")]
    seen = set(queue)
    while queue:
        for module in imported_modules(copy / queue.pop(0)):
            name = module + ".py"
            if name in seen or name in SUBMISSION_FILES or name not in known:
                continue
            seen.add(name)
            found.append(name)
            queue.append(name)
    return sorted(found)


def _copy_regular_file(source: Path, target: Path,
                       name: str) -> Optional[str]:
    """Copy one regular file, mode bits but set-id bits included.

    Return None when the file was copied or does not exist, else the
    reason it was refused.
    """
    try:
        info = os.lstat(str(source))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        return _unreadable(name, error)
    if stat.S_ISLNK(info.st_mode):
        return _symbolic_link(name)
    if not stat.S_ISREG(info.st_mode):
        return "{} is not a regular file".format(name)
    try:
        descriptor = os.open(str(source),
                             os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return _symbolic_link(name)
        return _unreadable(name, error)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return "{} is not a regular file".format(name)
        data = read_at_most(descriptor, MAX_FILE_BYTES + 1)
    except OSError as error:
        return _unreadable(name, error)
    finally:
        os.close(descriptor)
    if len(data) > MAX_FILE_BYTES:
        return "{} is larger than {} bytes; it was not graded".format(
            name, MAX_FILE_BYTES)
    # The permission bits are kept (G3 checks the executable bit), the
    # set-uid, set-gid and sticky bits never; the owner may always read
    # the copy, which the confined runs must.
    mode = (stat.S_IMODE(info.st_mode) & 0o777) | stat.S_IRUSR
    output = os.open(str(target), os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | os.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(output, view):]
        os.fchmod(output, mode)
    finally:
        os.close(output)
    os.utime(str(target), ns=(info.st_atime_ns, info.st_mtime_ns))
    return None


def read_at_most(descriptor: int, limit: int) -> bytes:
    """Read from descriptor until its end or until limit bytes were read."""
    chunks = []
    left = limit
    while left > 0:
        chunk = os.read(descriptor, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _symbolic_link(name: str) -> str:
    """Say that a submitted file is a symbolic link."""
    return "{} is a symbolic link; submit the file itself".format(name)


def _unreadable(name: str, error: OSError) -> str:
    """Say why a submitted file cannot be read."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return "{} cannot be read (permission denied)".format(name)
    return "{} cannot be read ({})".format(
        name, os.strerror(error.errno) if error.errno else error)


def specs_modified(repo: Path = REPO_ROOT) -> Dict[str, str]:
    """Return how the grading tree and libraries differ from the shipped.

    The result maps a path to "changed", "missing" or "extra" (see
    kata.catalogue.manifest); it is empty when nothing grading depends on
    changed.
    """
    return manifest.tampering(repo)
