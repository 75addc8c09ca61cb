"""The server's control socket: how ``pockg backup`` reaches a running server.

``pockg serve`` listens on a Unix socket beside the store
(``<store>.control``), readable and writable by its owner only, so only
someone who could read the store's files anyway can ask. One JSON request per
connection, one JSON answer: ``{"op": "backup", "target": "/abs/dir"}``.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from pockg.errors import PockgError


def socket_path(store_location: str) -> Path:
    return Path(f"{str(store_location).rstrip('/')}.control")


class ControlServer:
    def __init__(self, path: Path, handlers: dict[str, Callable[[dict], dict]]):
        self.path = Path(path)
        self.handlers = handlers
        self.path.unlink(missing_ok=True)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self._sock.bind(str(self.path))
        finally:
            os.umask(old)
        self._sock.listen(4)
        threading.Thread(target=self._serve, daemon=True, name="pockg-control").start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                try:
                    request = json.loads(_read_line(conn))
                    handler = self.handlers.get(request.get("op"))
                    if handler is None:
                        answer = {"ok": False, "error": f"unknown operation {request.get('op')!r}"}
                    else:
                        answer = {"ok": True, **handler(request)}
                except PockgError as exc:
                    answer = {"ok": False, "error": exc.message}
                except Exception as exc:  # noqa: BLE001 - answered, never crashes the server
                    answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                conn.sendall(json.dumps(answer).encode() + b"\n")

    def close(self) -> None:
        self._sock.close()
        self.path.unlink(missing_ok=True)


def _read_line(conn: socket.socket, limit: int = 65536) -> str:
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8")


def ask(path: Path, request: dict, timeout: float = 600.0) -> dict | None:
    """The server's answer, or None when no server listens at ``path``."""
    if not Path(path).exists():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return None
        s.sendall(json.dumps(request).encode() + b"\n")
        return json.loads(_read_line(s))


def lock_path(store_location: str) -> Path:
    return Path(f"{str(store_location).rstrip('/')}.serve.lock")


class ServingLock:
    """Held (shared) by every ``pockg serve`` on a store, read-only ones too, for
    as long as it runs; ``pockg restore`` takes it exclusively, so it cannot
    swap a store out from under a server. The kernel drops it if a server dies."""

    def __init__(self, store_location: str, exclusive: bool = False):
        import fcntl

        self.path = lock_path(store_location)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+")
        try:
            fcntl.flock(self._file, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            from pockg.errors import StoreError

            raise StoreError(f"the store at {store_location} is in use by `pockg serve` "
                             "(stop the server first)") from None

    def release(self) -> None:
        self._file.close()
