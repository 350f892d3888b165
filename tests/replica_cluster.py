"""Parts for running studio replicas in tests and benches: a PostgreSQL schema, a gateway process, workers."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN = {"X-Admin-Token": "replica-admin"}
_FOLLOW = re.compile(
    r"^(?P<t>[\d.]+) studio\.jobs (?P<what>following|stopped following) take (?P<take>\w+) as (?P<owner>\S+)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, headers: dict | None = None) -> dict:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@contextlib.contextmanager
def pg_schema(base_url: str) -> Iterator[str]:
    """A fresh schema on the test cluster; yields a URL whose search_path is that schema."""
    import psycopg

    schema = "rep_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@dataclass
class GatewayProcess:
    url: str
    proc: subprocess.Popen

    @property
    def v2_url(self) -> str:
        return self.url + "/v2"

    def stats(self) -> dict:
        return get_json(self.url + "/_admin/stats", ADMIN)

    def balance(self, key: str) -> int:
        return int(
            get_json(self.v2_url + "/billing/balance", {"Authorization": f"Bearer {key}"})["total_balance"]
        )


def _wait_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up: {log.read_text(errors='replace')[-2000:]}")


@contextlib.contextmanager
def gateway_process(folder: Path, *, job_seconds: float, render_workers: int = 2) -> Iterator[GatewayProcess]:
    """`python -m demo_gateway` on a free loopback port (the varg the replicas share)."""
    port = free_port()
    log = folder / "gateway.log"
    cmd = [
        sys.executable, "-m", "demo_gateway", "--port", str(port), "--data-dir", str(folder / "gateway"),
        "--job-seconds", str(job_seconds), "--admin-token", ADMIN["X-Admin-Token"],
        "--render-workers", str(render_workers), "--balance", "100000", "--log-level", "WARNING",
    ]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_up(f"http://127.0.0.1:{port}/v2/pricing", proc, log)
        yield GatewayProcess(f"http://127.0.0.1:{port}", proc)
    finally:
        stop(proc)


def replica_env(
    database_url: str, gateway: GatewayProcess, key: str, home: Path, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VARG_", "STUDIO_"))}
    env.update(
        VARG_API_KEY=key,
        VARG_BASE_URL=gateway.v2_url,
        STUDIO_DATABASE_URL=database_url,
        STUDIO_HOME=str(home),
        **extra,
    )
    return env


def start_worker(
    name: str,
    count: int,
    env: dict[str, str],
    log: Path,
    *,
    prompt: str | None = None,
    wait_go: bool = False,
    every: float = 0.0,
) -> subprocess.Popen:
    """tests/replica_worker.py: submits `count` takes and follows. `prompt` varies the takes (the
    gateway answers an identical request from its cache); with `wait_go` it prints "ready" and
    submits after a line on its stdin; `every` spaces the submissions (seconds)."""
    cmd = [sys.executable, str(ROOT / "tests" / "replica_worker.py"), name, str(count)]
    if prompt is not None:
        cmd.append(prompt)
    if wait_go:
        cmd.append("--wait-go")
    if every > 0:
        cmd += ["--every", str(every)]
    with open(log, "ab") as err:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE if wait_go else None,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            proc.wait(timeout=10)


@dataclass(frozen=True)
class Follow:
    take_id: str
    owner: str
    start: float
    end: float


def follows(logs: list[Path], killed: dict[str, float] | None = None) -> list[Follow]:
    """Who followed which take when, from the replicas' logs; a killed replica's follows end at its kill."""
    open_: dict[tuple[str, str], float] = {}
    done: list[Follow] = []
    owner_log: dict[str, Path] = {}
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            m = _FOLLOW.match(line)
            if not m:
                continue
            key = (m["take"], m["owner"])
            owner_log[m["owner"]] = log
            if m["what"] == "following":
                open_[key] = float(m["t"])
            elif key in open_:
                done.append(Follow(m["take"], m["owner"], open_.pop(key), float(m["t"])))
    for (take_id, owner), start in open_.items():
        end = (killed or {}).get(str(owner_log[owner]), float("inf"))
        done.append(Follow(take_id, owner, start, end))
    return done


def overlaps(found: list[Follow]) -> list[tuple[Follow, Follow]]:
    """Pairs of follows of one take by two replicas at the same time (there must be none)."""
    by_take: dict[str, list[Follow]] = {}
    for f in found:
        by_take.setdefault(f.take_id, []).append(f)
    bad = []
    for spans in by_take.values():
        for i, a in enumerate(spans):
            for b in spans[i + 1 :]:
                if a.owner != b.owner and a.start < b.end and b.start < a.end:
                    bad.append((a, b))
    return bad


@contextlib.contextmanager
def s3_bucket(endpoint: str | None) -> Iterator[dict[str, str]]:
    """A fresh bucket on the test S3 server: yields the variables that point a studio's media at it
    (nothing when no S3 server runs: the replicas then keep media in their data folders)."""
    if not endpoint:
        yield {}
        return
    import boto3

    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    bucket = "rep-" + uuid.uuid4().hex[:12]
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    yield {**env, "STUDIO_MEDIA_URL": f"s3://{bucket}/team"}


def objects(env: dict[str, str]) -> set[str]:
    """The keys under the media prefix of the bucket `env` names (relative to the prefix)."""
    import boto3

    bucket, _, prefix = env["STUDIO_MEDIA_URL"].removeprefix("s3://").partition("/")
    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    keys: set[str] = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        keys.update(o["Key"].removeprefix(prefix + "/") for o in page.get("Contents", []))
    return keys


def owners(log: Path) -> set[str]:
    """The lease owners a replica's log names (one per process)."""
    return {m["owner"] for line in log.read_text(errors="replace").splitlines() if (m := _FOLLOW.match(line))}
