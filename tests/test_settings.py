"""Settings come from the environment; the key never shows in a repr."""

from __future__ import annotations

from pathlib import Path

from studio.settings import DEFAULT_BASE_URL, load_settings


def test_defaults_mean_demo_mode():
    s = load_settings({})
    assert s.demo and s.base_url == DEFAULT_BASE_URL and s.timeout == (5.0, 30.0)


def test_environment_overrides(tmp_path):
    s = load_settings(
        {"VARG_API_KEY": " varg_secret_canary ", "VARG_BASE_URL": "http://127.0.0.1:9/v1/",
         "STUDIO_HOME": str(tmp_path), "STUDIO_SESSION_BUDGET": "500", "VARG_READ_TIMEOUT": "oops"}
    )  # fmt: skip
    assert not s.demo and s.api_key == "varg_secret_canary"
    assert s.base_url == "http://127.0.0.1:9/v1" and s.studio_home == Path(tmp_path)
    assert s.session_budget == 500 and s.read_timeout == 30.0
    assert "canary" not in repr(s)
