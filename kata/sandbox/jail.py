#!/usr/bin/env python3
"""The sandbox around one submission's subject: bubblewrap, seccomp, cgroups.

A *jail* holds the subject zygote of one submission
(``kata/sandbox/subject/``). It runs in new user, PID, network (loopback only),
mount, IPC, UTS and cgroup namespaces, on a file system made of the Python
runtime and the kata's libraries (read-only), the submission copy (read-only)
and its spliced variants (read-only); nothing of ``solution/``, ``tests/``, the
rest of ``kata/``, the home folder, the host's /proc or any other grading,
and no folder of the host it may write.

Every test's child is a sealed run (``kata/sandbox/subject/seal.py``): the
zygote gives it namespaces of its own, empty size-capped file systems for /tmp,
/dev/shm and its working folder, only the code it runs, then drops every
capability and installs the seccomp filter that denies the system calls
that could leave or widen the sandbox. The zygote keeps the capabilities of
the jail's user namespace to do so, under a filter that refuses new user
namespaces. Memory and the number of processes are capped for the whole
jail (its private file systems included) by cgroups where this process may
create them, otherwise by per-process limits; CPU time and file sizes by
rlimits.

Where bubblewrap cannot run, the subject runs unconfined (a student's fast
local mode); ``Jail.missing`` says which protection is missing, and the
reports repeat it.
"""
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, List, Optional, Sequence

from kata.sandbox import processes
from kata.sandbox.remote import SubjectLink
from kata.sandbox.subject import wire

SUBJECT_PACKAGE = Path(__file__).resolve().parent / "subject"
INSIDE_SUBJECT = "/opt/kata/subject"
INSIDE_SUBMISSION = "/submission"
INSIDE_SCRATCH = "/scratch"
INSIDE_VARIANTS = "/variants"
INSIDE_SERVICES = "/services"
MEMORY_LIMIT_BYTES = 4 * 1024 ** 3
PROCESS_LIMIT = 128
CPU_SECONDS = 900
FILE_SIZE_LIMIT = 64 * 1024 ** 2
TMP_SIZE = 64 * 1024 ** 2
# How long an unconfined zygote may take to reap its tests and leave.
UNCONFINED_EXIT_SECONDS = 2
# Files of /etc that Python, SQLite and name resolution of localhost read.
ETC_FILES = ("hosts", "nsswitch.conf", "ld.so.cache", "localtime",
             "passwd", "group", "host.conf", "gai.conf")
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
# Denied with EPERM: ways out of the namespaces, into other processes, or
# into the kernel.
DENIED_CALLS = (
    "mount", "umount2", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "pivot_root", "chroot", "setns",
    "unshare", "ptrace", "process_vm_readv", "process_vm_writev",
    "process_madvise", "pidfd_getfd", "kcmp", "bpf", "perf_event_open",
    "keyctl", "add_key", "request_key", "init_module", "finit_module",
    "delete_module", "reboot", "kexec_load", "kexec_file_load", "swapon",
    "swapoff", "open_by_handle_at", "name_to_handle_at", "userfaultfd",
    "quotactl", "acct", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "iopl", "ioperm", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "lookup_dcookie", "vhangup", "syslog",
    "personality", "uselib", "nfsservctl")
CLONE_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000,
                         0x10000000, 0x20000000, 0x40000000, 0x00000080)
CLONE_NEWUSER = 0x10000000
# What the zygote itself may do that a test may not: seal its children
# (it enters a run's new namespaces to fork its first process, then goes
# back to its own with setns).
ZYGOTE_ALLOWED = ("mount", "umount2", "unshare", "setns")
INSTALL_HINT = ("install bubblewrap (Debian and Ubuntu: apt-get install "
                "bubblewrap) and allow unprivileged user namespaces")
PROTECTIONS = ("namespaces", "seccomp", "cgroup memory", "cgroup pids")


def bwrap() -> Optional[str]:
    """Return the path of bubblewrap, if it is installed."""
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def bwrap_works() -> bool:
    """Tell whether bubblewrap can make its namespaces on this machine."""
    program = bwrap()
    if program is None:
        return False
    try:
        return subprocess.run(
            [program, "--unshare-all", "--unshare-user", "--ro-bind", "/", "/",
             "--disable-userns", "--", "true"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def seccomp_program(zygote: bool = False) -> Optional[IO[bytes]]:
    """Return a file holding a compiled seccomp filter, or None.

    Everything not named is allowed; the named calls fail with EPERM;
    clone3 fails with ENOSYS (its flags cannot be inspected), so that the C
    library falls back to clone, whose namespace flags are refused. Foreign
    architectures (32-bit calls on a 64-bit kernel) are killed. The
    zygote's filter (zygote true) allows mount, umount2, unshare and
    setns, with which it seals each test's child, but no new user
    namespace.
    """
    try:
        import errno

        import pyseccomp
        rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        for name in DENIED_CALLS:
            if zygote and name in ZYGOTE_ALLOWED:
                continue
            try:
                rules.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
            except (ValueError, OSError, RuntimeError):
                pass  # a call this kernel does not know cannot be made
        rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
        for flag in CLONE_NAMESPACE_FLAGS:
            rules.add_rule(pyseccomp.ERRNO(errno.EPERM), "clone",
                           pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
        if zygote:
            rules.add_rule(pyseccomp.ERRNO(errno.EPERM), "unshare",
                           pyseccomp.Arg(0, pyseccomp.MASKED_EQ,
                                         CLONE_NEWUSER, CLONE_NEWUSER))
        program = tempfile.TemporaryFile()
        rules.export_bpf(program)
        program.seek(0)
        return program
    except Exception:  # no libseccomp here: the report says so
        return None


class _Cgroups:
    """A memory and a pids cgroup made below this process's own groups."""

    def __init__(self, name: str) -> None:
        """Create the groups this process may create; remember which."""
        self.paths: List[Path] = []
        self.memory = self._make("memory", name, {
            "memory.limit_in_bytes": MEMORY_LIMIT_BYTES})
        self.pids = self._make("pids", name, {"pids.max": PROCESS_LIMIT})

    def _make(self, controller: str, name: str, limits: dict) -> bool:
        """Create one group below ours and set its limits."""
        own = _own_group(controller)
        if own is None:
            return False
        path = Path("/sys/fs/cgroup") / controller / own.lstrip("/") / name
        try:
            path.mkdir()
        except OSError:
            return False
        try:
            for key, value in limits.items():
                (path / key).write_text(str(value))
        except OSError:
            self._remove(path)
            return False
        self.paths.append(path)
        return True

    def enter(self) -> None:
        """Move the calling process into the groups (before exec)."""
        for path in self.paths:
            with open(str(path / "cgroup.procs"), "w") as procs:
                procs.write(str(os.getpid()))

    def remove(self) -> None:
        """Kill what is left in the groups and remove them."""
        for path in self.paths:
            for _ in range(50):
                try:
                    pids = (path / "cgroup.procs").read_text().split()
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)
            self._remove(path)

    @staticmethod
    def _remove(path: Path) -> None:
        """Remove an empty cgroup, retrying while it drains."""
        for _ in range(100):
            try:
                path.rmdir()
                return
            except OSError:
                time.sleep(0.01)


def _own_group(controller: str) -> Optional[str]:
    """Return this process's cgroup (v1) of a controller, if mounted."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3 and controller in parts[1].split(","):
            if (Path("/sys/fs/cgroup") / controller).is_dir():
                return parts[2]
    return None


def _own_processes() -> int:
    """Count the processes of this user, for a per-user process limit."""
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat("/proc/" + entry).st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


class Jail:
    """One submission's subject zygote, in its sandbox."""

    def __init__(self, submission: Path, folder: Path,
                 isolate: bool = True,
                 variants: Optional[Path] = None) -> None:
        """Start the zygote on a submission folder (a copy, when grading).

        In folder, ``judge/`` is the judges' own; ``services/`` holds the
        sockets of the judges' services, which the jail sees read-only;
        ``subject/`` holds the tests' working folders where there is no
        sandbox (in one, each test's folder is a file system of its own);
        ``subject-output.txt`` receives whatever the subject prints outside
        a test. With isolate false, or where bubblewrap cannot run, the
        subject runs unconfined and ``missing`` lists every protection.
        variants, if given, holds other versions of the code
        (``kata/reading/splice.py``), which a test may ask for by name.
        """
        self.submission = submission
        self.variants = variants
        self.scratch = folder / "subject"
        self.judge = folder / "judge"
        self.services = folder / "services"
        for made in (self.scratch, self.judge, self.services):
            made.mkdir(parents=True)
        output = folder / "subject-output.txt"
        self.control, inside = wire.pair()
        self.isolated = isolate and bwrap_works()
        self.missing: List[str] = []
        self._cgroups: Optional[_Cgroups] = None
        programs: List[IO[bytes]] = []
        if self.isolated:
            self._cgroups = _Cgroups("kata-{}-{}".format(
                os.getpid(), id(self)))
            if not self._cgroups.memory:
                self.missing.append("cgroup memory")
            if not self._cgroups.pids:
                self.missing.append("cgroup pids")
            zygote_filter = seccomp_program(zygote=True)
            test_filter = seccomp_program()
            if zygote_filter is None or test_filter is None:
                self.missing.append("seccomp")
            else:
                programs = [zygote_filter, test_filter]
            command = self._bwrap_command(submission, inside.fileno(),
                                          programs)
        else:
            self.missing = list(PROTECTIONS)
            command = [sys.executable, "-m", "subject.zygote",
                       str(inside.fileno())]
        environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                       "PYTHONDONTWRITEBYTECODE": "1",
                       "PYTHONHASHSEED": "0"}
        if not self.isolated:
            environment["KATA_SUBMISSION"] = str(submission)
        # The kata's own tests steer their fixture submissions this way.
        environment.update({key: value for key, value in os.environ.items()
                            if key.startswith("KATA_SELFTEST_")})
        if not self.isolated:
            environment["PYTHONPATH"] = str(SUBJECT_PACKAGE.parent)
        fds = [inside.fileno()] + [program.fileno() for program in programs]
        with open(str(output), "ab") as sink:
            self.process = subprocess.Popen(
                command, pass_fds=fds, stdin=subprocess.DEVNULL,
                stdout=sink, stderr=sink, env=environment,
                cwd=str(self.scratch), start_new_session=True,
                preexec_fn=self._limits)
        inside.close()
        for program in programs:
            program.close()
        self.channel = wire.Channel(self.control)

    def _bwrap_command(self, submission: Path, control_fd: int,
                       programs: Sequence[IO[bytes]]) -> List[str]:
        """Return the bubblewrap command line that starts the zygote.

        programs, when there is seccomp here, are the zygote's filter and
        its tests' filter.
        """
        # No --disable-userns: the zygote makes namespaces for its tests
        # (in this user namespace); its filter refuses new user namespaces
        # and its tests' filter any namespace at all.
        command = [str(bwrap()), "--unshare-all", "--unshare-user",
                   "--die-with-parent", "--new-session", "--cap-add", "ALL",
                   "--hostname", "subject",
                   # The mounts over /tmp and /dev come first, so that a
                   # runtime or venv kept under /tmp is bound on top.
                   # bubblewrap makes its own /proc/sys and
                   # /proc/sysrq-trigger read-only; a test sees neither.
                   "--proc", "/proc", "--dev", "/dev",
                   "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
                   "--size", str(TMP_SIZE), "--tmpfs", "/dev/shm"]
        for folder in SYSTEM_DIRS:
            if os.path.islink(folder):
                command += ["--symlink", os.readlink(folder), folder]
            elif os.path.isdir(folder):
                command += ["--ro-bind", folder, folder]
        for name in ETC_FILES:
            if os.path.exists("/etc/" + name):
                command += ["--ro-bind", "/etc/" + name, "/etc/" + name]
        for folder in _python_folders():
            command += ["--ro-bind", folder, folder]
        command += [
            "--ro-bind", str(SUBJECT_PACKAGE), INSIDE_SUBJECT,
            "--ro-bind", str(submission), INSIDE_SUBMISSION,
            *(["--ro-bind", str(self.variants), INSIDE_VARIANTS]
              if self.variants is not None else []),
            "--ro-bind", str(self.services), INSIDE_SERVICES,
            "--dir", INSIDE_SCRATCH,
            "--remount-ro", "/",
            "--chdir", "/",
            "--setenv", "KATA_SUBMISSION", INSIDE_SUBMISSION,
            "--setenv", "PYTHONPATH", os.path.dirname(INSIDE_SUBJECT),
            "--setenv", "HOME", "/tmp"]
        for key, value in os.environ.items():
            if key.startswith("KATA_SELFTEST_"):
                command += ["--setenv", key, value]
        if programs:
            command += ["--seccomp", str(programs[0].fileno())]
        command += ["--", _interpreter(), "-m", "subject.zygote",
                    str(control_fd), "seal"]
        if programs:
            command.append(str(programs[1].fileno()))
        return command

    def _limits(self) -> None:
        """Set the jail's limits; runs in the child before exec."""
        if self._cgroups is not None:
            self._cgroups.enter()
        # A write past the file size limit then fails with EFBIG, which the
        # student's code sees as an OSError, instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
        resource.setrlimit(resource.RLIMIT_FSIZE,
                           (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self._cgroups is None or not self._cgroups.memory:
            resource.setrlimit(resource.RLIMIT_AS,
                               (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
        if self.isolated and (self._cgroups is None or
                              not self._cgroups.pids) and os.getuid() != 0:
            limit = _own_processes() + PROCESS_LIMIT
            resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))

    def link(self, variant: Optional[str] = None) -> SubjectLink:
        """Return what a judge needs to reach this jail's zygote.

        With variant, the tests run that version of the code (a folder of
        ``variants``) instead of the submission.
        """
        if variant is None:
            code = INSIDE_SUBMISSION if self.isolated else str(
                self.submission)
        elif self.variants is None:
            raise ValueError("this jail holds no variants")
        else:
            code = (INSIDE_VARIANTS if self.isolated else str(
                self.variants)) + "/" + variant
        return SubjectLink(self.control.fileno(), self.scratch, self.judge,
                           self.services, self.isolated, self.missing, code)

    def close(self) -> None:
        """End the zygote and everything in the jail.

        A sandbox is killed at once: its PID namespace takes every process
        along, and nothing inside needs tidying. A zygote left to see its
        channel close could linger: a roster's judges are forked from the
        checker, and a judge of another submission still running holds a
        copy of the channel (the checker once waited two seconds per
        submission for that). An unconfined zygote has no namespace to
        take its tests along: it is given the time to reap them, or they
        would be left to the checker as zombies.
        """
        left: List[int] = []
        if not self.isolated:
            # End the zygote's descendants (it adopts its tests' orphans)
            # while it lives.
            left = processes.kill_descendants(self.process.pid)
        try:
            self.control.close()
        except OSError:
            pass
        if not self.isolated:
            try:
                self.process.wait(timeout=UNCONFINED_EXIT_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        processes.kill_group(self.process.pid)
        self.process.wait()
        processes.reap_killed(left)
        if self._cgroups is not None:
            self._cgroups.remove()


def _interpreter() -> str:
    """Return the path of this Python as the jail sees it.

    The jail binds the venv's real folder; a kata that reaches its venv
    through a symbolic link (a copy sharing another checkout's .venv) would
    name a path that does not exist inside.
    """
    folder, name = os.path.split(sys.executable)
    return os.path.join(os.path.realpath(folder), name)


def _python_folders() -> Sequence[str]:
    """Return the folders of the Python runtime and the venv's libraries."""
    folders = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    for entry in sys.path:
        if entry and "site-packages" in entry:
            folders.add(os.path.realpath(entry))
    chosen: List[str] = []
    for folder in sorted(folders):
        if not any(folder.startswith(kept + os.sep) for kept in chosen) and \
                not folder.startswith(SYSTEM_DIRS):
            chosen.append(folder)
    return chosen
