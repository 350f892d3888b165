"""API key checks: a malformed key is refused at the key field, before anything is sent."""

from __future__ import annotations

import unicodedata

from studio.errors import InputError

MAX_KEY_CHARS = 512  # varg keys are a few dozen characters; anything far longer is a paste gone wrong


def _name(ch: str) -> str:
    return unicodedata.name(ch, "").lower() or "unnamed character"


def check_key(raw: str | None) -> str:
    """The key with outer whitespace stripped, or InputError(field="key") saying what is wrong.

    A key travels in an HTTP header, so it must be printable ASCII with no inner space: a key
    with an invisible character, a non-Latin letter or a line break could never be sent, and
    the user would otherwise be told the gateway cannot be reached.
    """
    key = (raw or "").strip()
    if not key:
        raise InputError("Paste your varg API key (it starts with varg_).", field="key")
    if len(key) > MAX_KEY_CHARS:
        raise InputError(
            f"This is {len(key):,} characters long: far too long for an API key. Paste only the key.",
            field="key",
        )
    for index, ch in enumerate(key, start=1):
        if "\x21" <= ch <= "\x7e":
            continue
        code = f"U+{ord(ch):04X}"
        where = f"at character {index}"
        if ch.isspace():
            problem = f"a line break or space {where} ({code})"
            fix = "Paste the key on one line, without spaces."
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp") or not ch.isprintable():
            problem = f"an invisible character {where} ({code}, {_name(ch)})"
            fix = "Copy the key again from varg, or type it."
        else:
            problem = f"a character a key never has {where} ({code}, {_name(ch)})"
            fix = "varg keys use only plain letters, digits and _ -. Copy the key again from varg."
        raise InputError(f"This key has {problem}, so it was not sent. {fix}", field="key")
    return key
