"""People: who is signed in, what each person may spend in a day, and whose takes a view shows.

Only when the app has a login (Streamlit's `[auth]`): a `Person` is made from what `st.user`
holds, and takes record their maker's email. Without a login nobody is a person (`None`) and the
workspace is shared per key, as before. Budgets: `STUDIO_PERSON_BUDGET` credits a person per day
(UTC) by default, overridden per email by a `[budgets]` table in the secrets.
"""

from __future__ import annotations

import calendar
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from studio.errors import InputError

log = logging.getLogger("varg_studio.people")

MAX_EMAIL = 320  # the longest address SMTP allows; longer is not an email
NO_LIMIT = ("none", "unlimited")  # a `[budgets]` value that lifts the default for one person


class Scope(StrEnum):
    """Whose takes a gallery or board shows."""

    MINE = "mine"
    EVERYONE = "everyone"

    def created_by(self, person: Person | None) -> str | None:
        """The `created_by` filter of the library for this scope (None: everyone's takes)."""
        return person.email if self is Scope.MINE and person is not None else None


def _email(value: object) -> str | None:
    text = str(value or "").strip().lower()
    if not text or len(text) > MAX_EMAIL or "@" not in text or any(c.isspace() for c in text):
        return None
    return text


def display_name(email: str) -> str:
    """A readable name from an address alone: `ana.lopez@example.com` -> `Ana Lopez`."""
    local = email.partition("@")[0]
    words = local.replace(".", " ").replace("_", " ").replace("-", " ").split()
    return " ".join(w[:1].upper() + w[1:] for w in words) or email


@dataclass(frozen=True)
class Person:
    """Someone signed in through the app's login: the email is the id, the name is for show."""

    email: str
    name: str

    @classmethod
    def from_user(cls, user: Mapping[str, Any] | None) -> Person | None:
        """The person `st.user` describes, or None when nobody is signed in (or no email is given)."""
        if not user or not user.get("is_logged_in"):
            return None
        email = _email(user.get("email"))
        if email is None:
            return None
        name = " ".join(str(user.get("name") or "").split())[:80]
        return cls(email=email, name=name or display_name(email))


def byline(created_by: str | None, me: Person | None = None) -> str | None:
    """`by Ana` for a take that records its maker (the signed-in person's own name for theirs)."""
    if not created_by:
        return None
    if me is not None and me.email == created_by:
        return f"by {me.name}"
    return f"by {display_name(created_by)}"


def day_start(now: float | None = None) -> float:
    """The start of the budget day (midnight UTC) holding `now`: the same on every replica."""
    moment = time.gmtime(time.time() if now is None else now)
    return float(calendar.timegm((moment.tm_year, moment.tm_mon, moment.tm_mday, 0, 0, 0)))


def _credits(value: object) -> int | None:
    """A budget value: a whole number of credits >= 0, or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@dataclass(frozen=True)
class PersonBudget:
    """Credits a person may spend per day: a default for everyone, and overrides per email.

    An override is a number of credits (0: may not spend) or "none" (no limit for that person).
    """

    default: int | None = None
    overrides: tuple[tuple[str, int | None], ...] = ()

    @classmethod
    def from_config(cls, default: int | None, overrides: Mapping[str, Any] | None = None) -> PersonBudget:
        """From the settings' default and the secrets' `[budgets]` table; a bad entry is skipped
        (and logged), so that person gets the default."""
        kept: dict[str, int | None] = {}
        for key, value in (overrides or {}).items():
            email = _email(key)
            amount = _credits(value)
            if email is None:
                log.warning("[budgets]: %r is not an email address; skipped", str(key)[:80])
            elif isinstance(value, str) and value.strip().lower() in NO_LIMIT:
                kept[email] = None
            elif amount is None:
                log.warning("[budgets]: the budget of %s is not a whole number of credits; skipped", email)
            else:
                kept[email] = amount
        base = default if default is not None and default > 0 else None
        return cls(default=base, overrides=tuple(sorted(kept.items())))

    def cap(self, person: Person | None) -> int | None:
        """This person's daily budget, or None when none applies (or nobody is signed in)."""
        if person is None:
            return None
        return dict(self.overrides).get(person.email, self.default)

    def budget_left(self, person: Person | None, spent_today: int) -> int | None:
        """Credits this person may still spend today (may be negative), or None without a budget."""
        cap = self.cap(person)
        return None if cap is None else cap - int(spent_today)


class BudgetKind(StrEnum):
    """Which budget is the tighter one for a submission."""

    SESSION = "session"
    PERSON = "person"


@dataclass(frozen=True)
class Allowance:
    """What may still be spent, and whose budget says so."""

    left: int
    kind: BudgetKind

    @property
    def label(self) -> str:
        return "your daily budget" if self.kind is BudgetKind.PERSON else "this session's budget"

    def refusal(self, total: int) -> str | None:
        """Why `total` credits would be refused, or None when they fit."""
        if total <= self.left:
            return None
        text = f"This needs {total:,} credits and {self.label} has {max(self.left, 0):,} left."
        if self.kind is BudgetKind.PERSON:
            text += " It starts again at midnight (UTC)."
        return text

    def check(self, total: int) -> None:
        """Raise InputError (at the submit button) when `total` credits do not fit."""
        reason = self.refusal(total)
        if reason is not None:
            raise InputError(reason, field="submit")


def tightest(session_left: int | None, person_left: int | None) -> Allowance | None:
    """The tighter of the session's and the person's budget (None when neither applies)."""
    if person_left is not None and (session_left is None or person_left < session_left):
        return Allowance(person_left, BudgetKind.PERSON)
    if session_left is not None:
        return Allowance(session_left, BudgetKind.SESSION)
    return None
