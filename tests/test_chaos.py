"""Chaos, small: 2 studio processes on one home, 2 SIGKILLs, gateway faults; never paid twice, no video lost.

The same machinery as `bench/chaos.py` (real spawned processes, a real gateway on 127.0.0.1), in a
configuration that fits in well under a minute for both API versions.
"""

from __future__ import annotations

import pytest

from bench.chaos import Config, run

SMALL = {
    "takes": 9,
    "processes": 2,
    "chaos_seconds": 12.0,
    "drain_seconds": 20.0,
    "job_seconds": 1.0,
    "kills": 2,
    "kill_gap": (2.0, 4.0),
    "restart_pause": (0.3, 0.8),
    "fault_gap": (0.5, 1.5),
    "fault_span": (1.5, 3.0),
    "submit_gap": 0.4,
    "read_timeout": 2.0,
    "verbose": False,
}


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_chaos_never_pays_twice_and_never_leaves_a_paid_video_behind(tmp_path):
    results = run(
        [Config(api="v2", seed=11, **SMALL), Config(api="v1", seed=11, **SMALL)], tmp_path, job_seconds=1.0
    )
    for r in results:
        report = r.text + "\n" + "\n".join(r.events)
        f = r.figures
        assert f["kills"] == 2, report
        assert f["double_charges"] == 0 and not f["jobs_unexplained"], report
        assert f["paid_videos_left_behind"] == [], report
        assert f["jobs_shared_by_takes"] == {}, report
        assert f["submissions_recorded"] == SMALL["takes"], report
        assert f["credits_charged_balance"] == f["credits_usage_sum"], report
        assert r.ok, report
    v2 = results[0].figures
    assert v2["takes_unknown"] == 0 and v2["jobs_created"] == v2["distinct_jobs_held"], results[0].text
