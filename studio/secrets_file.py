"""Secrets the studio makes once and keeps in its data folder (0600), so they outlive a restart."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def folder_secret(path: Path) -> str:
    """The secret in `path`, made (64 hex characters, readable by this user only) when missing.

    A read-only or full folder gives this run a secret of its own: what needs it keeps working
    until a restart, and the page says what is wrong with the folder elsewhere.
    """
    try:
        found = path.read_text(encoding="utf-8").strip() if path.exists() else ""
        if len(found) >= 32:
            return found
        path.parent.mkdir(parents=True, exist_ok=True)
        made = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(made)
        return made
    except OSError:
        return secrets.token_hex(32)
