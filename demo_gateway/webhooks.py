"""Webhooks: signed job snapshots posted from a background sender, retried 8 times with doubling backoff."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from demo_gateway.faults import Faults
from demo_gateway.store import Store

log = logging.getLogger(__name__)

RETRIES = 8
BACKOFF = 0.2
BACKOFF_CAP = 5.0
TIMEOUT = 5.0
IDLE_WAIT = 0.5


def sign(secret: str, body: bytes) -> str:
    """The X-Varg-Signature value: `v1=<hex HMAC-SHA256(secret, raw body)>`."""
    return "v1=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class Webhooks:
    """Keeps deliveries in the store and sends them on one thread; `tick` settles jobs that came due."""

    def __init__(self, store: Store, secret: str, faults: Faults, tick: Callable[[], float | None]) -> None:
        self.store = store
        self.secret = secret
        self.faults = faults
        self.tick = tick
        self.sent = self.failed = self.dropped = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"sent": self.sent, "failed": self.failed, "dropped": self.dropped}

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="gateway-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=1.0)

    def wake(self) -> None:
        self._wake.set()

    def enqueue(self, job_id: str, url: str, event: str, body: bytes) -> str:
        delivery_id = "dlv_" + secrets.token_hex(8)
        self.store.put_delivery(
            {
                "delivery_id": delivery_id,
                "job_id": job_id,
                "url": url,
                "event": event,
                "body": body,
                "attempts": 0,
                "next_at": time.time(),
                "state": "pending",
            }
        )
        self._wake.set()
        return delivery_id

    # --- the sender ------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                next_end = self.tick()
                now = time.time()
                for delivery in self.store.due_deliveries(now):
                    if self._stopping.is_set():
                        return
                    self._attempt(delivery)
                upcoming = [t for t in (next_end, self.store.next_delivery_at()) if t is not None]
                wait = min([IDLE_WAIT] + [max(0.0, t - time.time()) for t in upcoming])
            except sqlite3.ProgrammingError:  # the store closed: stopping
                return
            except Exception:
                log.exception("webhook sender")
                wait = IDLE_WAIT
            self._wake.wait(wait)
            self._wake.clear()

    def _attempt(self, d: dict[str, Any]) -> None:
        body = bytes(d["body"])
        attempts = int(d["attempts"]) + 1
        ok = False
        if self.faults.take("webhook_fail"):
            with self._lock:
                self.dropped += 1
        else:
            ok = self._post(str(d["url"]), str(d["event"]), str(d["delivery_id"]), body)
        if ok:
            state, next_at = "sent", time.time()
            with self._lock:
                self.sent += 1
        elif attempts > RETRIES:
            state, next_at = "failed", time.time()
            with self._lock:
                self.failed += 1
        else:
            state, next_at = "pending", time.time() + min(BACKOFF_CAP, BACKOFF * 2 ** (attempts - 1))
        self.store.put_delivery(dict(d, attempts=attempts, next_at=next_at, state=state))

    def _post(self, url: str, event: str, delivery_id: str, body: bytes) -> bool:
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "varg-demo-gateway-webhooks",
                "X-Varg-Signature": sign(self.secret, body),
                "X-Varg-Event": event,
                "X-Varg-Delivery": delivery_id,
            },
        )
        try:
            with self._opener.open(request, timeout=TIMEOUT) as resp:
                return 200 <= resp.status < 300
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.info("webhook %s to a receiver failed: %s", delivery_id, type(exc).__name__)
            return False
