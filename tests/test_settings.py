"""Settings come from the environment; the key never shows in a repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.errors import InputError
from studio.keys import MAX_KEY_CHARS, check_key
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


# --- the key is checked before it is ever sent ---------------------------------------------------
def test_a_key_loses_only_its_outer_whitespace():
    assert check_key("  varg_live_abc-123_XYZ\n") == "varg_live_abc-123_XYZ"
    assert check_key("varg_demo_local") == "varg_demo_local"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("varg_ab\u200bcd", "invisible character"),  # zero-width space
        ("varg_ab\ufeffcd", "invisible character"),  # BOM
        ("varg_ab\u00adcd", "invisible character"),  # soft hyphen
        ("varg_ab\x07cd", "invisible character"),  # a control character
        ("varg_ab\u202ecd", "invisible character"),  # right-to-left override
        ("varg_clé", "a character a key never has"),  # not Latin-1 safe ASCII
        ("varg_ключ", "a character a key never has"),
        ("varg_ab\ncd", "line break or space"),
        ("varg_ab cd", "line break or space"),
        ("varg_ab\u00a0cd", "line break or space"),  # no-break space
        ("x" * (MAX_KEY_CHARS + 1), "far too long"),
        ("   ", "Paste your varg API key"),
    ],
)
def test_a_malformed_key_is_refused_with_a_reason_at_the_key_field(raw: str, said: str):
    with pytest.raises(InputError) as caught:
        check_key(raw)
    assert caught.value.field == "key"
    assert said in caught.value.message
    assert "was not sent" in caught.value.message or said in ("far too long", "Paste your varg API key")
