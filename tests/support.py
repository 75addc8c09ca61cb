"""Paths shared by the tests (importable as `support`, unlike conftest)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from pockg.config import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
REPORT = REPO_ROOT.parent / "shared" / "sources" / "poc-workshop-report-2010.txt"


class Listener:
    """A local TCP listener that counts connections: any outside fetch shows up here."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        threading.Thread(target=self._loop, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    def settled_count(self, wait: float = 0.3) -> int:
        """The count once any connection still queued has been accepted."""
        time.sleep(wait)
        return self.count

    def wait_for(self, n: int, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while self.count < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.count

    def close(self):
        self.sock.close()
