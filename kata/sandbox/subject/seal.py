#!/usr/bin/env python3
"""Seal one test's child: namespaces, file systems and rights of its own.

Every child the zygote forks for a test is a *run* of its own: the zygote
enters new mount, PID, network and IPC namespaces, forks the run's first
process into them and goes back to its own, so that nothing one run writes
or starts is visible to another run of the same submission, earlier or at
the same time. Before any student code, trusted code here gives the run:

- empty, size-capped file systems of its own on /tmp, /dev/shm and
  /scratch (its working folder, which the judge reads through a directory
  descriptor handed over before student code, never by path);
- the code the run executes at /submission (a spliced variant is bound
  there for its own run only; /variants is covered), /dev read-only, and a
  /proc that shows only the run's own processes (``subset=pid``: no
  /proc/sys);
- a loopback of its own, with the relay to the judge's service on port
  5000 when the run asks for one;
- then no capabilities (bounding and ambient sets too, root without
  powers), ``no_new_privs`` and the seccomp filter of the jail.

The zygote keeps the capabilities of the sandbox's user namespace for this
set-up only; the jail runs it under a filter that still refuses new user
namespaces. This module uses the standard library and ctypes only: it runs
inside the sandbox, which sees nothing else of the kata.
"""
import ctypes
import fcntl
import os
import re
import socket
import struct
from typing import Any, Dict, List, Optional, Tuple

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_RELATIME = 1 << 21
MS_PRIVATE = 1 << 18
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2
# Root stays powerless: no capabilities from uid 0, on exec or setuid,
# and none of these bits can be unset again.
SECURE_BITS = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80
CAPABILITY_VERSION_3 = 0x20080522
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
SUBMISSION = "/submission"
VARIANTS = "/variants"
SERVICES = "/services"
SCRATCH = "/scratch"
SERVICE_SOCKET = SERVICES + "/e2e.sock"
# The namespaces each run has of its own; the zygote's PID namespace is
# where its next child is born once it is back home.
NAMESPACES = (("mnt", CLONE_NEWNS), ("net", CLONE_NEWNET),
              ("ipc", CLONE_NEWIPC), ("pid", CLONE_NEWPID))
TMP_SIZE = 64 * 1024 ** 2
SCRATCH_SIZE = 64 * 1024 ** 2

_libc = ctypes.CDLL(None, use_errno=True)
# The zygote's own namespaces and folder (flag 0), by keep_home.
_HOME: List[Tuple[int, int]] = []


class SealError(Exception):
    """A run could not be sealed; it must not run student code."""


def _check(result: int, doing: str) -> None:
    """Raise SealError with the system's reason when a call failed."""
    if result != 0:
        code = ctypes.get_errno()
        raise SealError("{}: {}".format(doing, os.strerror(code)))


def _mount(source: Optional[str], target: str, kind: Optional[str],
           flags: int, options: Optional[str] = None) -> None:
    """Mount, or raise SealError naming what failed."""
    _check(_libc.mount(None if source is None else source.encode(),
                       target.encode(),
                       None if kind is None else kind.encode(),
                       ctypes.c_ulong(flags),
                       None if options is None else options.encode()),
           "mount {} on {}".format(kind or source, target))


def _tmpfs(target: str, size: int, mode: str = "1777",
           read_only: bool = False) -> None:
    """Mount an empty tmpfs of at most size bytes on target."""
    _mount("tmpfs", target, "tmpfs",
           MS_NOSUID | MS_NODEV | (MS_RDONLY if read_only else 0),
           "size={},mode={}".format(size, mode))


def _kept_flags(target: str) -> int:
    """Return the mount flags of target that a remount must keep.

    Where the sandbox's user namespace does not own a mount (an
    unprivileged grader), its nosuid, nodev, noexec and access-time flags
    are locked: a remount that drops one is refused.
    """
    flags = os.statvfs(target).f_flag
    kept = 0
    for statvfs_flag, mount_flag in ((os.ST_NOSUID, MS_NOSUID),
                                     (os.ST_NODEV, MS_NODEV),
                                     (os.ST_NOEXEC, MS_NOEXEC),
                                     (os.ST_NOATIME, MS_NOATIME),
                                     (os.ST_NODIRATIME, MS_NODIRATIME),
                                     (os.ST_RELATIME, MS_RELATIME)):
        if flags & statvfs_flag:
            kept |= mount_flag
    return kept


def _remount_read_only(target: str) -> None:
    """Make the mount at target read-only, keeping its other flags."""
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID
           | MS_NODEV | _kept_flags(target))


def _bind_read_only(source: str, target: str) -> None:
    """Bind source on target, read-only."""
    _mount(source, target, None, MS_BIND)
    _remount_read_only(target)


def own_home() -> None:
    """Move the zygote into namespaces that its own user namespace owns.

    Where bubblewrap nests the sandbox's user namespace in another (an
    unprivileged grader), the namespaces it made belong to the outer one,
    and the zygote could not go back to them after forking a run. So the
    calling process makes new mount, PID, network and IPC namespaces,
    forks the process that goes on as the zygote, the init of the new PID
    namespace with a /proc of its own, and waits for it: it ends as that
    process ends.
    """
    unshare()
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def keep_home() -> List[int]:
    """Open the calling process's namespaces and folder, to come back to.

    Return the descriptors; every process forked after this must close
    them before anything else (a run holding one could reach the zygote's
    own file systems).
    """
    if not _HOME:
        for name, flag in NAMESPACES:
            _HOME.append((flag, os.open("/proc/self/ns/" + name,
                                        os.O_RDONLY | os.O_CLOEXEC)))
        _HOME.append((0, os.open(".", os.O_RDONLY | os.O_DIRECTORY
                                 | os.O_CLOEXEC)))
    return [descriptor for _, descriptor in _HOME]


def unshare() -> None:
    """Give the calling process new mount, PID, network and IPC namespaces.

    The PID namespace is that of the child forked next, which is the
    run's first process; mounts made from now on are the run's alone.
    The zygote goes back home (``go_home``) as soon as it has forked it.
    """
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET
                         | CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)


def go_home() -> None:
    """Return to the namespaces and folder of ``keep_home``.

    Raise SealError if that fails: a zygote that stayed in a run's
    namespaces would share them with the next run.
    """
    if not _HOME:
        raise SealError("no home to go back to")
    for flag, descriptor in _HOME:
        if flag:
            _check(_libc.setns(descriptor, flag), "setns")
        else:
            os.fchdir(descriptor)


def build(options: Dict[str, Any]) -> int:
    """Make the run's file systems and loopback; return its folder's fd.

    Runs as the first process of the new PID namespace, before any
    student code. options["code"] names the folder of the code to run
    (under /variants, or /submission itself); options["service"] the
    folder of /services that holds the judge's service socket, if any.
    """
    # The runtime or venv of a kata kept under /tmp is bound there; it is
    # bound again on the run's own /tmp.
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY))
            for path in _mounts_below("/tmp")]
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           "subset=pid")
    _tmpfs("/tmp", TMP_SIZE)
    for path, descriptor in kept:
        os.makedirs(path, exist_ok=True)
        _mount("/proc/self/fd/{}".format(descriptor), path, None,
               MS_BIND | MS_REC)
        _remount_read_only(path)
        os.close(descriptor)
    _tmpfs("/dev/shm", TMP_SIZE)
    _tmpfs(SCRATCH, SCRATCH_SIZE, mode="0700")
    _remount_read_only("/dev")
    code = str(options.get("code") or SUBMISSION)
    if code != SUBMISSION:
        if os.path.dirname(code) != VARIANTS or \
                os.path.basename(code) in ("", ".", ".."):
            raise SealError("not a variant folder: " + code)
        _bind_read_only(code, SUBMISSION)
    if os.path.isdir(VARIANTS):
        _tmpfs(VARIANTS, 4096, mode="0555", read_only=True)
    service = str(options.get("service") or "")
    if os.path.isdir(SERVICES):
        if service:
            if "/" in service or service in (".", ".."):
                raise SealError("not a service folder: " + service)
            _bind_read_only(os.path.join(SERVICES, service), SERVICES)
        else:
            _tmpfs(SERVICES, 4096, mode="0555", read_only=True)
    _loopback_up()
    return os.open(SCRATCH, os.O_RDONLY | os.O_DIRECTORY)


def _mounts_below(folder: str) -> List[str]:
    """Return the outermost mount points below folder.

    A bind of one of them with its submounts brings the others along.
    """
    found = []
    with open("/proc/self/mountinfo") as table:
        for line in table:
            point = line.split()[4]
            # Spaces, tabs, newlines and backslashes are written in octal.
            point = re.sub(r"\\([0-7]{3})",
                           lambda match: chr(int(match.group(1), 8)), point)
            if point.startswith(folder + "/"):
                found.append(point)
    outermost: List[str] = []
    for path in sorted(set(found), key=lambda path: (path.count("/"), path)):
        if not any(path.startswith(kept + "/") for kept in outermost):
            outermost.append(path)
    return outermost


def _loopback_up() -> None:
    """Bring up the new network namespace's loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22s", b"lo", 0, b"")
        flags = struct.unpack("16sH22s",
                              fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS,
                    struct.pack("16sH22s", b"lo", flags | IFF_UP, b""))


class _CapabilityHeader(ctypes.Structure):
    """The header of capset(2)."""

    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapabilityData(ctypes.Structure):
    """One 32-bit half of the three capability sets, for capset(2)."""

    _fields_ = [("effective", ctypes.c_uint32),
                ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


class _SockFilterProgram(ctypes.Structure):
    """struct sock_fprog: a seccomp BPF program."""

    _fields_ = [("length", ctypes.c_ushort),
                ("filter", ctypes.c_void_p)]


def confine(filter_program: bytes) -> None:
    """Drop every capability for good, then install the seccomp filter.

    After this the process, and all it starts, has no capability in any
    namespace and cannot gain one; the filter (if any: empty where there
    is no seccomp) refuses mounts, new namespaces, ptrace and the other
    ways out (kata/sandbox/jail.py).
    """
    _check(_libc.prctl(PR_SET_SECUREBITS, SECURE_BITS, 0, 0, 0),
           "securebits")
    capability = 0
    while _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) == 0:
        capability += 1
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
           "clear ambient capabilities")
    header = _CapabilityHeader(CAPABILITY_VERSION_3, 0)
    data = (_CapabilityData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if not filter_program:
        return  # no seccomp on this machine: the report says so
    program_bytes = ctypes.create_string_buffer(filter_program,
                                                len(filter_program))
    program = _SockFilterProgram(len(filter_program) // 8,
                                 ctypes.cast(program_bytes, ctypes.c_void_p))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                       ctypes.byref(program), 0, 0), "seccomp")


def hide() -> None:
    """Keep the calling process's memory and files out of /proc's reach."""
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
