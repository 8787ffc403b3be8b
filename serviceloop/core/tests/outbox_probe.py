"""Channels for the two-worker outbox test (test_outbox_workers.py), loaded by real huey worker processes.

Each send is logged to files under ``$OUTBOX_PROBE_DIR``, which outlive a killed worker:

- ``attempts.log``: every call, "pid channel notification key", before anything is sent;
- ``accepted/<channel>-<key>``: the receiving end, created once per idempotency key (O_EXCL), as a mail
  client drops a Message-ID it already has; a second arrival of a key is written to ``duplicates.log``;
- ``sent.log``: every send that completed.

The notification with the subject "BLOCK" hangs the first worker that sends it on ``probe_a`` (after its
claim, before anything reaches the receiver), with its pid in ``blocked``, until the test kills it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from serviceloop.core.notifications import Channel


def _append(path: Path, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


class ProbeChannel(Channel):
    name = "probe_a"

    def send(self, notification, *, idempotency_key):
        where = Path(os.environ["OUTBOX_PROBE_DIR"])
        _append(where / "attempts.log", f"{os.getpid()} {self.name} {notification.pk} {idempotency_key}\n")
        if notification.subject == "BLOCK" and self.name == "probe_a":
            try:
                fd = os.open(where / "blocked", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                pass  # the worker that blocked is gone: this is the delivery again
            else:
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                while True:  # mid-delivery until SIGKILL
                    time.sleep(1)
        time.sleep(0.01)  # the network
        try:
            os.close(os.open(where / "accepted" / f"{self.name}-{idempotency_key}", os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            _append(where / "duplicates.log", f"{os.getpid()} {self.name} {notification.pk} {idempotency_key}\n")
        _append(where / "sent.log", f"{os.getpid()} {self.name} {notification.pk} {idempotency_key}\n")
        return True


class OtherProbeChannel(ProbeChannel):
    name = "probe_b"
