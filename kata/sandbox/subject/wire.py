#!/usr/bin/env python3
"""The grading protocol: MessagePack records over SOCK_SEQPACKET sockets.

Each message is one packet: a request ``[op, *arguments]`` from the judge,
an answer ``["ok", value]``, ``["raised", error]`` or ``["failed", reason]``
from the subject. Values are plain data (None, bool, int, float, str,
bytes, lists, maps with str keys); an object that cannot be sent as data
stays in the subject and travels as a *handle*, a MessagePack extension
record. Decoding never runs code: MessagePack has no constructor calls, the
extension codes are checked here, and sizes and depth are capped.
"""
import array
import importlib
import select
import socket
from typing import (Any, Callable, Dict, List, NamedTuple, Optional, Sequence,
                    Tuple)

import msgpack

# A packet of the kernel's default socket buffer always fits.
MESSAGE_LIMIT = 128 * 1024
MAX_DEPTH = 24
HANDLE_CODE = 1
TYPE_CODE = 2
# The judge's message that sets the limits of the request it precedes:
# ``[LIMITS, cpu_seconds, dump_after_seconds]``; the subject answers none.
LIMITS = "limits"
# The file of a run's working folder where the subject writes the stack of
# a request stopped by its limit (faulthandler's format); the judge reads
# it as hostile text, like everything of that folder.
WHERE_FILE = "stopped-at.txt"
# Builtin types that travel by name, so that ``python_type is int`` holds.
BUILTIN_TYPES = {kind.__name__: kind for kind in (
    int, str, bytes, float, bool, list, dict, tuple, type(None))}
# The exception classes a spec may ask an error about (RemoteError.is_a),
# by where they are imported from. Both ends resolve them to the real
# classes (judged_classes); the subject's error records list those an
# error really is an instance of, so a class that only takes one's name
# is not taken for it.
JUDGED_CLASSES = (
    "builtins.BaseException", "builtins.Exception",
    "builtins.ArithmeticError", "builtins.AssertionError",
    "builtins.AttributeError", "builtins.IndexError", "builtins.KeyError",
    "builtins.LookupError", "builtins.NameError",
    "builtins.NotImplementedError", "builtins.OSError",
    "builtins.RecursionError", "builtins.RuntimeError",
    "builtins.StopIteration", "builtins.SystemExit", "builtins.TypeError",
    "builtins.UnicodeError", "builtins.ValueError",
    "builtins.ZeroDivisionError",
    "sqlalchemy.exc.SQLAlchemyError", "sqlalchemy.exc.InvalidRequestError",
    "sqlalchemy.exc.IntegrityError", "sqlalchemy.exc.StatementError",
    "sqlalchemy.orm.exc.NoResultFound",
    "sqlalchemy.orm.exc.MultipleResultsFound",
    "werkzeug.exceptions.HTTPException", "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.MethodNotAllowed",
)


class ProtocolError(Exception):
    """A message broke the grading protocol (malformed, oversized, ...)."""


class ChannelClosed(ProtocolError):
    """The other end of a channel has gone (it exited or was killed)."""


class ChannelTimeout(ProtocolError):
    """No answer came in time."""


class Handle(NamedTuple):
    """An object that stays in the subject, as the judge knows it."""

    number: int
    types: Tuple[str, ...]
    callable: bool
    is_class: bool


def handle_record(number: int, types: Sequence[str], is_callable: bool,
                  is_class: bool) -> msgpack.ExtType:
    """Return the extension record that stands for an object."""
    return msgpack.ExtType(HANDLE_CODE, msgpack.packb(
        [number, list(types), is_callable, is_class], use_bin_type=True))


def type_record(name: str) -> msgpack.ExtType:
    """Return the extension record of a builtin type."""
    return msgpack.ExtType(TYPE_CODE, name.encode("ascii"))


def _judge_ext(code: int, data: bytes) -> Any:
    """Decode an extension record the subject sent, checking its shape."""
    if code == TYPE_CODE:
        kind = BUILTIN_TYPES.get(data.decode("ascii", "replace"))
        if kind is None:
            raise ProtocolError("an unknown builtin type was sent")
        return kind
    if code != HANDLE_CODE:
        raise ProtocolError("an unknown extension record was sent")
    fields = msgpack.unpackb(data, raw=False, max_array_len=64,
                             max_str_len=512, max_bin_len=0, max_map_len=0,
                             max_ext_len=0)
    if not (isinstance(fields, list) and len(fields) == 4
            and type(fields[0]) is int and isinstance(fields[1], list)
            and all(type(name) is str for name in fields[1])
            and type(fields[2]) is bool and type(fields[3]) is bool):
        raise ProtocolError("a malformed handle was sent")
    return Handle(fields[0], tuple(fields[1]), fields[2], fields[3])


def judged_classes() -> Dict[str, type]:
    """Return the real classes of JUDGED_CLASSES, by module.QualifiedName.

    The key is the name the class itself carried when this ran, which is
    the name the judge computes for the class a spec holds (with the same
    libraries, the same text). A class that cannot be imported is left out.
    """
    table: Dict[str, type] = {}
    for dotted in JUDGED_CLASSES:
        module_name, name = dotted.rsplit(".", 1)
        try:
            kind = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            continue
        if isinstance(kind, type) and issubclass(kind, BaseException):
            table["{}.{}".format(kind.__module__, kind.__qualname__)] = kind
    return table


def encode(message: Any, default: Optional[Callable[[Any], Any]] = None
           ) -> bytes:
    """Pack a message, refusing one larger than a packet may be."""
    data = msgpack.packb(message, use_bin_type=True, default=default,
                         strict_types=True)
    if len(data) > MESSAGE_LIMIT:
        raise ProtocolError("a message of {} bytes is larger than the "
                            "limit of {}".format(len(data), MESSAGE_LIMIT))
    return data


def decode(data: bytes, ext_hook: Callable[[int, bytes], Any] = _judge_ext
           ) -> Any:
    """Unpack one message; every malformation becomes a ProtocolError."""
    try:
        message = msgpack.unpackb(
            data, raw=False, strict_map_key=True, ext_hook=ext_hook,
            use_list=True)
    except ProtocolError:
        raise
    except Exception as error:  # msgpack raises several kinds
        raise ProtocolError("a message could not be decoded ({})".format(
            type(error).__name__)) from None
    _check_depth(message, 0)
    return message


def _check_depth(value: Any, depth: int) -> None:
    """Refuse a message nested deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise ProtocolError("a message is nested too deeply")
    if isinstance(value, list):
        for item in value:
            _check_depth(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _check_depth(item, depth + 1)


def place_text(where: Optional[str], raised_in: Optional[str]) -> str:
    """Return ' (at a.py:1, raised in b.py:2)', or '' when nothing is known.

    An error record names the student's line to look at (``where``) and,
    when it is in another file, the line that raised (``raised_in``); both
    ends of the protocol spell them the same way.
    """
    if not where:
        return ""
    return " (at {}{})".format(
        where, ", raised in {}".format(raised_in) if raised_in else "")


def pair() -> Tuple[socket.socket, socket.socket]:
    """Return two connected packet sockets."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


class Channel:
    """One end of a packet socket that carries protocol messages."""

    def __init__(self, sock: socket.socket,
                 ext_hook: Callable[[int, bytes], Any] = _judge_ext,
                 default: Optional[Callable[[Any], Any]] = None) -> None:
        """Wrap sock; ext_hook and default translate extension records."""
        self.sock = sock
        self._ext_hook = ext_hook
        self._default = default

    def send(self, message: Any, fds: Sequence[int] = ()) -> None:
        """Send one message, with file descriptors if any."""
        data = encode(message, self._default)
        try:
            if fds:
                socket.send_fds(self.sock, [data], list(fds))
            else:
                self.sock.send(data)
        except OSError as error:
            raise ChannelClosed("the other end is gone ({})".format(
                error.strerror)) from None

    def receive(self, timeout: Optional[float] = None,
                max_fds: int = 0) -> Tuple[Any, List[int]]:
        """Wait for one message; return it and the descriptors it carried."""
        if timeout is not None:
            ready, _, _ = select.select([self.sock], [], [], max(0, timeout))
            if not ready:
                raise ChannelTimeout("no answer within {:.0f} s".format(
                    timeout))
        space = socket.CMSG_SPACE(max_fds * array.array("i").itemsize) \
            if max_fds else 0
        try:
            data, ancillary, flags, _ = self.sock.recvmsg(
                MESSAGE_LIMIT + 1, space)
        except OSError as error:
            raise ChannelClosed("the other end is gone ({})".format(
                error.strerror)) from None
        fds = _descriptors(ancillary)
        if not data:
            for fd in fds:
                _close(fd)
            raise ChannelClosed("the other end closed the channel")
        if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) or \
                len(data) > MESSAGE_LIMIT:
            for fd in fds:
                _close(fd)
            raise ProtocolError("a message was larger than the limit of "
                                "{} bytes".format(MESSAGE_LIMIT))
        return decode(data, self._ext_hook), fds

    def close(self) -> None:
        """Close this end."""
        self.sock.close()


def _descriptors(ancillary: List[Tuple[int, int, bytes]]) -> List[int]:
    """Return the file descriptors of SCM_RIGHTS records."""
    fds: List[int] = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            numbers = array.array("i")
            whole = len(data) - len(data) % numbers.itemsize
            numbers.frombytes(data[:whole])
            fds.extend(numbers)
    return fds


def _close(fd: int) -> None:
    """Close a descriptor that arrived uninvited."""
    import os
    try:
        os.close(fd)
    except OSError:
        pass
