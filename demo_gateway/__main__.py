"""Run the demo gateway standalone on loopback: `python -m demo_gateway --port 8765`."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from demo_gateway.faults import Faults
from demo_gateway.gateway import DemoGateway


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m demo_gateway",
        description="A varg /v1 + /v2 look-alike on loopback that renders local MP4 previews (not Sora).",
    )
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    p.add_argument(
        "--data-dir", type=Path, default=None, help="state, uploads and outputs (default: a temp dir)"
    )
    p.add_argument("--job-seconds", type=float, default=6.0, help="how long a job takes (default 6)")
    p.add_argument("--balance", type=int, default=5000, help="initial credits per key (default 5000)")
    p.add_argument("--render-workers", type=int, default=2, help="parallel renders (default 2)")
    p.add_argument("--keepalive", type=float, default=15.0, help="SSE keep-alive seconds (default 15)")
    p.add_argument("--stream-cut", type=float, default=600.0, help="SSE cut after seconds (default 600)")
    p.add_argument("--cache", action="store_true", help="v1: answer identical creates from a cache")
    p.add_argument("--admin-token", default=None, help="enable /_admin/* behind this X-Admin-Token")
    p.add_argument("--webhook-secret", default=None, help="webhook signing secret (or VARG_WEBHOOK_SECRET)")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="inject a fault (repeatable), e.g. --fault rate_limit=2 --fault retry_after=1",
    )
    p.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return p.parse_args(argv)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not _loopback(args.host):
        print(
            f"error: refusing to serve on {args.host}: the demo gateway binds loopback only", file=sys.stderr
        )
        return 2
    try:
        faults = Faults.from_string(os.environ.get("VARG_LOCAL_FAULTS", ""))
        for spec in args.fault:
            faults.update(Faults.parse(spec))
    except ValueError as exc:
        print(f"error: bad fault: {exc}", file=sys.stderr)
        return 2
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="varg-gateway-"))
    gateway = DemoGateway(
        data_dir,
        host=args.host,
        port=args.port,
        job_seconds=args.job_seconds,
        initial_balance=args.balance,
        faults=faults,
        render_workers=args.render_workers,
        stream_cut_seconds=args.stream_cut,
        keepalive_seconds=args.keepalive,
        cache=args.cache,
        admin_token=args.admin_token,
        webhook_secret=args.webhook_secret,
    )
    try:
        gateway.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(
        f"Demo varg gateway (previews, not Sora) at {gateway.v1_url} and {gateway.v2_url}  data: {data_dir}",
        flush=True,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
