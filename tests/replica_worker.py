"""A studio replica without its web pages, for the replica tests and bench: `python tests/replica_worker.py NAME N`.

It makes the same services hub the app's lifespan makes (settings from the environment: the shared
PostgreSQL library, the gateway, the key, the lease time), starts following, submits N takes named
`NAME-0…`, prints "submitted" and follows until it is stopped (SIGTERM) or killed. Its log lines
carry the time, so the test can see which replica followed which take when.

Options (for the bench): `[PROMPT] [--wait-go] [--every SECONDS]`. `--wait-go` prints "ready" once
the hub runs and submits only after a line arrives on stdin (replicas start together); `--every`
spaces the submissions.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.jobs import TakeRequest  # noqa: E402
from studio.services import Hub  # noqa: E402
from studio.settings import load_settings  # noqa: E402


def main(
    name: str,
    count: int,
    prompt: str = "a lighthouse beam sweeping over a stormy sea",
    *,
    wait_go: bool = False,
    every: float = 0.0,
) -> int:
    logging.basicConfig(level=logging.INFO, format="%(created).6f %(name)s %(message)s", stream=sys.stderr)
    hub = Hub(load_settings())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    hub.start()
    studio = hub.studio()
    if wait_go:
        print("ready", flush=True)
        sys.stdin.readline()
    for i in range(count):
        if i and every > 0 and stop.wait(every):
            break
        req = TakeRequest(mode="text-to-video", model="sora_2", prompt=f"{prompt}, take {i}", duration=4)
        studio.jobs.submit(req, f"{name}-{i}")
    print("submitted", flush=True)
    stop.wait()
    hub.stop()
    return 0


def _cli(argv: list[str]) -> int:
    args, wait_go, every = list(argv), False, 0.0
    if "--wait-go" in args:
        args.remove("--wait-go")
        wait_go = True
    if "--every" in args:
        at = args.index("--every")
        every = float(args[at + 1])
        del args[at : at + 2]
    return main(args[0], int(args[1]), *args[2:3], wait_go=wait_go, every=every)


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
