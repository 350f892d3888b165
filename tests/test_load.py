"""The load script at a reduced size: 3 sessions × 3 jobs through the real page, none lost or doubled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_concurrent_sessions_lose_and_duplicate_no_take(tmp_path: Path):
    cmd = [
        sys.executable, str(ROOT / "bench" / "bench_load.py"),
        "--sessions", "3", "--jobs-per-session", "3", "--job-seconds", "1", "--timeout", "180", "--json",
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no figures (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    r = json.loads(lines[-1])
    assert r["expected"] == r["submitted"] == 9, r["refused"]
    assert r["lost"] == 0 and r["missing"] == 0, r["by_status"]
    assert r["duplicated"] == 0
    assert r["completed"] == r["library_takes"] == r["gateway_creates"] == r["unique_job_ids"] == 9
    assert r["accounts"] == 3
    assert r["output_downloads_with_auth"] == 0
    assert not r["timed_out"]
    assert done.returncode == 0
