#!/usr/bin/env python3
"""Forward port 5000 of the sandbox's loopback to the judge's service.

The end-to-end step runs main.py against services the judge serves on a
Unix socket outside the sandbox. main.py speaks HTTP to localhost:5000, so
a process of the run, started before any student code and confined like
it, listens there and copies bytes both ways. It decides nothing: it only
carries bytes.
"""
import selectors
import socket
import socketserver
from typing import Any

PORT = 5000


class _Forward(socketserver.BaseRequestHandler):
    """Copy one connection's bytes to the service and back."""

    def handle(self) -> None:
        """Connect to the service and copy until either side closes."""
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.server.target)  # type: ignore[attr-defined]
        except OSError:
            return
        with upstream, selectors.DefaultSelector() as selector:
            selector.register(self.request, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, self.request)
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)  # type: ignore
                    if not data:
                        return
                    key.data.sendall(data)


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A threaded TCP server on the sandbox's loopback."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: Any, target: str, family: int) -> None:
        """Listen on address and forward to the Unix socket target."""
        self.address_family = family
        self.target = target
        super().__init__(address, _Forward)


def serve(target: str) -> None:
    """Forward 127.0.0.1:5000 and [::1]:5000 to target until killed."""
    servers = [_Server(("127.0.0.1", PORT), target, socket.AF_INET)]
    try:
        servers.append(_Server(("::1", PORT), target, socket.AF_INET6))
    except OSError:
        pass  # no IPv6 loopback here
    import threading
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()
