"""Configuration from the environment, in one frozen settings object."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

DEFAULT_BASE_URL = "https://api.varg.ai/v2"
# The local gateway accepts any bearer key; demo mode uses this public placeholder.
DEMO_API_KEY = "varg_demo_local"
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
_PREFIX_PART = re.compile(r"[A-Za-z0-9!_.*'()=+,;@ -]+")
_MEDIA_URL_FORM = (
    "STUDIO_MEDIA_URL must look like s3://bucket or s3://bucket/prefix (letters, digits and . _ -; the"
    " credentials come from the AWS variables, never the URL); leave it empty for the data folder."
)


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("varg-studio", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything the core needs to know about where to talk and where to keep things."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    studio_home: Path = field(default_factory=default_home)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    demo_job_seconds: float = 6.0
    session_budget: int | None = None
    person_budget: int | None = None  # credits one signed-in person may spend per day (UTC)
    public_url: str | None = None  # where varg can reach this studio (for webhooks)
    webhook_secret: str | None = field(default=None, repr=False)
    # PostgreSQL for a team's shared library (`postgresql://…`); None: SQLite in studio_home.
    database_url: str | None = field(default=None, repr=False)
    # How long a replica's hold on a take lasts without renewal: a dead replica's takes move on after it.
    lease_seconds: float = 30.0
    # Signs storyboard share links; a team sets the same on every replica (else: one in the data folder).
    share_secret: str | None = field(default=None, repr=False)
    # S3-compatible storage for media (`s3://bucket/prefix`); None: the data folder. Not shown in repr:
    # it holds no secret by design, but one typed into it by mistake must not reach a log.
    media_url: str | None = field(default=None, repr=False)
    # The most S3 media's local copies may take (STUDIO_MEDIA_CACHE_MB; least recently used go first).
    media_cache_bytes: int = 4 * 1024**3

    @property
    def demo(self) -> bool:
        """Demo mode: no key given, so the studio runs against its own local gateway."""
        return not self.api_key

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def parse_media_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://bucket[/prefix]`, the prefix ending in `/` (or empty).

    ValueError (naming STUDIO_MEDIA_URL, never echoing the value) for anything else."""
    scheme, sep, rest = url.strip().partition("://")
    bucket, _, prefix = rest.partition("/")
    parts = [p for p in prefix.split("/") if p]
    if (
        scheme.lower() != "s3"
        or not sep
        or not _BUCKET.fullmatch(bucket)
        or any(p in (".", "..") or not _PREFIX_PART.fullmatch(p) for p in parts)
    ):
        raise ValueError(_MEDIA_URL_FORM)
    return bucket, "".join(p + "/" for p in parts)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read `VARG_API_KEY`, `VARG_BASE_URL`, `STUDIO_HOME`, `STUDIO_DATABASE_URL`, `STUDIO_MEDIA_URL`..."""
    env = os.environ if env is None else env
    key = env.get("VARG_API_KEY", "").strip() or None
    home = env.get("STUDIO_HOME", "").strip()
    budget_raw = env.get("STUDIO_SESSION_BUDGET", "").strip()
    person_raw = env.get("STUDIO_PERSON_BUDGET", "").strip()
    return Settings(
        api_key=key,
        base_url=(env.get("VARG_BASE_URL", "").strip() or DEFAULT_BASE_URL).rstrip("/"),
        studio_home=Path(home).expanduser() if home else default_home(),
        connect_timeout=_float(env, "VARG_CONNECT_TIMEOUT", 5.0),
        read_timeout=_float(env, "VARG_READ_TIMEOUT", 30.0),
        demo_job_seconds=_float(env, "STUDIO_DEMO_JOB_SECONDS", 6.0),
        session_budget=int(budget_raw) if budget_raw.isdigit() else None,
        person_budget=int(person_raw) if person_raw.isdigit() and int(person_raw) > 0 else None,
        public_url=env.get("STUDIO_PUBLIC_URL", "").strip().rstrip("/") or None,
        webhook_secret=env.get("VARG_WEBHOOK_SECRET", "").strip() or None,
        database_url=env.get("STUDIO_DATABASE_URL", "").strip() or None,
        lease_seconds=max(1.0, _float(env, "STUDIO_LEASE_SECONDS", 30.0)),
        share_secret=env.get("STUDIO_SHARE_SECRET", "").strip() or None,
        media_url=env.get("STUDIO_MEDIA_URL", "").strip() or None,
        media_cache_bytes=int(max(0.0, _float(env, "STUDIO_MEDIA_CACHE_MB", 4096.0)) * 1024**2),
    )
