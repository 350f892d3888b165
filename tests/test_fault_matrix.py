"""The fault matrix through the real Text-to-video page (AppTest) against a real local gateway.

Each fault comes from the gateway's fault switch; the studio runs in keyed mode (`VARG_API_KEY`,
`VARG_BASE_URL` → the gateway) like production. For every fault: what the user sees (the page's
own words, checked here and quoted in docs/faults.md), and proof that no take was lost or
duplicated: one take in the library, the creates the gateway counted, unique job ids, and the
balance charged at most once. The browser-level faults (a killed studio, a full or read-only data
folder) live in tests/browser/test_faults_browser.py.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studio.api.v1 import V1Backend
from studio.library import NewTake, account_fingerprint

APP = str(Path(__file__).resolve().parents[1] / "studio_frame.py")
KEY = "varg_fault_matrix_key_0a1b2c3d4e5f"
ACCOUNT = account_fingerprint(KEY)
START_BALANCE = 5000
CREDITS = 100  # sora-2, one take


@pytest.fixture(autouse=True)
def _fresh_core():
    yield
    from components import wiring

    wiring.reset()


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch, gateway):
    """The studio in keyed mode against the test's local gateway."""
    monkeypatch.setenv("VARG_API_KEY", KEY)
    monkeypatch.setenv("VARG_BASE_URL", gateway.v1_url)
    monkeypatch.delenv("STUDIO_SESSION_BUDGET", raising=False)
    return gateway


def _studio():
    from components import wiring

    return wiring.hub().studio(KEY)


def _balance(gateway) -> int:
    client = V1Backend(gateway.v1_url, KEY, timeout=(2.0, 10.0))
    try:
        return client.balance().credits
    finally:
        client.close()


def _generate(prompt: str) -> AppTest:
    """Open the studio, type a prompt on Text to video, click Generate."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_area(key="t2v_prompt").input(prompt).run()
    at.button(key="t2v_generate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _wait_finished(prompt: str, timeout: float = 45.0):
    library = _studio().library
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        takes = library.list(ACCOUNT, search=prompt)
        if takes and all(not t.is_open for t in takes):
            return takes
        time.sleep(0.1)
    raise AssertionError(f"take still open: {library.list(ACCOUNT, search=prompt)}")


@dataclass
class Seen:
    """Everything a user can read after the take finished: page, tray, toasts, take page."""

    submitted: list[str]  # right after Generate, under the button
    toasts: list[str]
    tray: str  # the sidebar's job tray and account block
    page: list[str]  # st.error / st.warning / st.success on the page after the finish
    detail_errors: list[str]  # the take's page in the gallery

    def everything(self) -> str:
        return "\n".join([*self.submitted, *self.toasts, self.tray, *self.page, *self.detail_errors])


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~:$])")


def _plain(text: str) -> str:
    """What a Markdown body reads as on screen (the UI escapes prompts and messages)."""
    return _MD_ESCAPE.sub(r"\1", text)


def _seen(at: AppTest, take_id: str) -> Seen:
    submitted = [s.value for s in at.success] + [e.value for e in at.error] + [i.value for i in at.info]
    toasts = [t.value for t in at.toast]  # a take that fails at once is announced in the same run
    at.run()  # the next run after the finish: the tray announces it
    toasts += [t.value for t in at.toast]
    tray = "\n".join(h.proto.body for h in at.sidebar.html) + "\n".join(c.value for c in at.sidebar.caption)
    page = (
        [e.value for e in at.main.error] + [w.value for w in at.main.warning] + [s.value for s in at.success]
    )
    at.switch_page("app_pages/gallery.py")
    at.query_params["take"] = take_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    detail = [e.value for e in at.main.error]
    for text in [*toasts, tray, *page, *detail]:
        assert "Traceback" not in text and 'File "' not in text
    submitted, toasts, page, detail = ([_plain(t) for t in group] for group in (submitted, toasts, page, detail))
    return Seen(submitted, toasts, _plain(tray), page, detail)


def _unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


# --- faults the studio rides through: the take completes, one create, charged once ----------------
RIDE_THROUGH = {
    "429 on create": ({"rate_limit": 1, "rate_limit_on": "create", "retry_after": 1}, 2),
    "429 on reads": ({"rate_limit": 3, "rate_limit_on": "read", "retry_after": 1}, 1),
    "500 on reads": ({"server_error": 2, "server_error_on": "read", "error_status": 500}, 1),
    "stream cut mid-job": ({"drop_stream_after": 0.4}, 1),
    "output download failing then recovering": ({"download_errors": 2}, 1),
}


@pytest.mark.parametrize("fault", list(RIDE_THROUGH))
def test_the_take_completes_through(fault: str, keyed):
    faults, posts = RIDE_THROUGH[fault]
    keyed.job_seconds = 2.0  # long enough for a stream to be cut mid-job
    keyed.faults.update(faults)
    prompt = _unique("A lighthouse at dusk, waves rolling in")
    at = _generate(prompt)
    (take,) = _wait_finished(prompt)
    seen = _seen(at, take.id)

    assert take.status == "completed", take.error
    assert take.video_path and _studio().media_path(take.video_path) is not None
    assert any("Submitted: 1 take rendering" in s for s in seen.submitted)
    assert any("Take ready" in t for t in seen.toasts), seen.toasts
    assert not seen.detail_errors
    stats = keyed.stats()
    assert stats["creates"] == 1, "exactly one job was created"
    assert stats["requests"].get("POST /v1/video", 0) == posts, "a create is re-sent only after a 429"
    assert take.job_id and stats["jobs"] == 1
    assert _balance(keyed) == START_BALANCE - CREDITS, "charged once"
    assert stats["output_downloads_with_auth"] == 0
    if fault == "stream cut mid-job":
        assert stats["requests"]["GET /v1/jobs/{id}/stream"] >= 2, "the stream was reopened"
    if fault == "output download failing then recovering":
        assert stats["output_downloads"] >= 3


# --- faults that end the take with a clear message -------------------------------------------------
@dataclass(frozen=True)
class Failing:
    faults: dict
    prompt_prefix: str
    says: str  # the take's error, as the tray and the take page show it
    creates: int  # jobs the gateway made
    charged: int  # credits gone from the balance afterwards


FAILING = {
    "500 on create": Failing(
        {"server_error": 1, "server_error_on": "create", "error_status": 500},
        "",
        "The gateway failed to start the job (HTTP 500: ",
        0,
        0,
    ),
    "502 on create": Failing(
        {"server_error": 1, "server_error_on": "create", "error_status": 502},
        "",
        "The gateway failed to start the job (HTTP 502: ",
        0,
        0,
    ),
    "job failed by the provider ([fail] prompt)": Failing({}, "[fail] ", "", 1, 0),
    "job failed by the provider (fail_jobs)": Failing({"fail_jobs": 1}, "", "", 1, 0),
}


@pytest.mark.parametrize("fault", list(FAILING))
def test_the_take_fails_with_a_clear_message(fault: str, keyed):
    case = FAILING[fault]
    keyed.faults.update(case.faults)
    prompt = case.prompt_prefix + _unique("A harbour at night, lanterns swaying")
    at = _generate(prompt)
    (take,) = _wait_finished(prompt)
    seen = _seen(at, take.id)

    assert take.status == "failed"
    assert take.error
    # A create refused at once fails within the Generate click's own run: the form says so there.
    assert any("Submitted: 1 take rendering" in s or "This take failed: " in s for s in seen.submitted)
    assert any("Take failed" in t for t in seen.toasts), seen.toasts
    assert take.error[:60] in seen.tray, "the tray shows why"
    assert seen.detail_errors == [take.error], "the take's page shows why"
    assert f"This take failed: {take.error}" in seen.page, "the form shows why, where Generate was clicked"
    if case.says:
        assert take.error.startswith(case.says), take.error
        assert "Your usage shows no new job since your click, so nothing was charged; it was not sent again." in take.error
    else:  # the provider's own message, word for word
        job = V1Backend(keyed.v1_url, KEY).get_job(take.job_id)
        assert job.status == "failed" and job.error and take.error == job.error
    stats = keyed.stats()
    assert stats["requests"].get("POST /v1/video", 0) == 1, "nothing was retried blindly"
    assert stats["creates"] == case.creates
    assert _balance(keyed) == START_BALANCE - case.charged, "charged at most once"
    assert len(_studio().library.list(ACCOUNT, search=prompt)) == 1, "the take is kept, once"


# --- the gateway is down when Generate is clicked ---------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gateway_down_at_submit_keeps_the_take_with_its_error_and_charges_nothing(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("VARG_API_KEY", KEY)
    monkeypatch.setenv("VARG_BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    prompt = _unique("Snow on a pine forest, still camera")
    t0 = time.monotonic()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    first_run = time.monotonic() - t0
    assert any("Balance unavailable: the gateway cannot be reached right now." in c.value for c in at.caption), [c.value for c in at.caption]
    assert any("balance unavailable" in h.proto.body for h in at.html if "vs-estimate" in h.proto.body)
    at.text_area(key="t2v_prompt").input(prompt).run()
    t0 = time.monotonic()
    at.button(key="t2v_generate").click().run()
    submit_run = time.monotonic() - t0
    (take,) = _wait_finished(prompt, timeout=60)
    seen = _seen(at, take.id)

    assert take.status == "failed" and take.job_id is None
    assert take.error == (
        "Could not reach the gateway: nothing was sent or charged. Try again when it is back."
    )
    assert any("Take failed" in t for t in seen.toasts)
    assert take.error in seen.tray and seen.detail_errors == [take.error]
    assert _studio().library.spend(ACCOUNT, 0) == 0, "a take that never reached the gateway costs nothing"
    # The page does not hang while the gateway is down (the balance lookup is bounded).
    assert first_run < 8 and submit_run < 8, (first_run, submit_run)


def test_a_failed_create_is_never_resent_by_the_form_only_by_an_explicit_new_take(
    monkeypatch: pytest.MonkeyPatch, gateway
):
    """After a failed create, Generate on the same form sends nothing; "New take" is a fresh job."""
    monkeypatch.setenv("VARG_API_KEY", KEY)
    monkeypatch.setenv("VARG_BASE_URL", gateway.v1_url)
    gateway.faults.update({"server_error": 1, "server_error_on": "create", "error_status": 502})
    prompt = _unique("A red kite over dunes")
    at = _generate(prompt)
    (failed,) = _wait_finished(prompt)
    at.run()
    assert failed.status == "failed" and failed.job_id is None
    assert any("To try again, use “New take of the same prompt”." in c.value for c in at.main.caption)
    at.button(key="t2v_generate").click().run()
    time.sleep(0.5)
    assert gateway.stats()["requests"].get("POST /v1/video", 0) == 1, "the same form is not re-sent"
    assert any(e.value.startswith("This take failed: ") for e in at.main.error)
    at.button(key="t2v_again").click().run()
    at.button(key="t2v_generate").click().run()
    assert any("Submitted: 1 take rendering" in s.value for s in at.success)
    takes = _wait_finished(prompt)
    assert len(takes) == 2 and {t.status for t in takes} == {"failed", "completed"}
    assert gateway.stats()["creates"] == 1
    assert _balance(gateway) == START_BALANCE - CREDITS


def test_a_job_created_behind_a_500_is_shown_and_kept_when_the_user_says_it_is_theirs(keyed):
    """The gateway made (and billed) the job, then answered 500: the studio finds it, asks, never re-sends."""
    keyed.faults.update({"create_commit_then_error": 1})
    prompt = _unique("Fog over a mountain lake")
    at = _generate(prompt)
    (take,) = _wait_finished(prompt)
    assert take.status == "unknown" and take.candidates and take.job_id is None, take.error
    assert "Is it yours?" in take.error
    at.switch_page("app_pages/gallery.py")
    at.query_params["take"] = take.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key=f"detail_adopt_{take.id}_0").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (take,) = _wait_finished(prompt)
    assert take.status == "completed", take.error
    assert take.job_id and take.video_path
    assert _balance(keyed) == START_BALANCE - CREDITS  # charged once, never twice
    assert keyed.stats()["creates"] == 1 and keyed.stats()["requests"]["POST /v1/video"] == 1
    assert _studio().library.spend(ACCOUNT, 0) == CREDITS


def test_a_paid_take_whose_download_kept_failing_is_fetched_by_retry_without_a_new_job(keyed):
    """The follower gave up saving a finished video: Retry on the take page fetches it, no new job."""
    studio = _studio()  # started first, so nothing resumes the take written below
    client = V1Backend(keyed.v1_url, KEY)
    job = client.create_video(model="sora-2", prompt="Paid, not yet saved", duration=4, aspect_ratio="16:9")
    assert client.wait(job.job_id).status == "completed"
    client.close()
    made, _ = studio.library.add_batch(
        [
            NewTake(
                account=ACCOUNT,
                batch_id="paid",
                submission_id="paid-1",
                variant_index=0,
                mode="text-to-video",
                model="sora-2",
                prompt="Paid, not yet saved",
                duration_requested=4,
                duration=4,
                aspect_ratio="16:9",
                estimated_credits=CREDITS,
            )
        ]
    )
    said = (
        "The video is ready but the download keeps failing (Downloading the output failed). "
        "It is paid for and will be fetched again; use Retry."
    )
    take = studio.library.update(made[0].id, job_id=job.job_id, status="downloading", error=said)
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/gallery.py")
    at.query_params["take"] = take.id
    at.run()
    assert not at.exception
    at.button(key="detail_retry").click().run()
    # "Following the job again." is toasted, but the tray's rerun when the fetch ends may replace that
    # run before AppTest reads it: what counts is no error and the take finished below.
    assert not any("never reached" in t.value or "failed" in t.value.lower() for t in at.toast)
    (done,) = _wait_finished("Paid, not yet saved")
    at.run()
    assert done.status == "completed" and done.video_path and done.job_id == job.job_id
    assert at.get("video"), "the take plays"
    assert keyed.stats()["creates"] == 1 and _balance(keyed) == START_BALANCE - CREDITS
