"""People: who made each take, per-person budgets, "mine / everyone" (core, library, and the pages).

The library tests run on SQLite and on PostgreSQL (`lib` and `store` in conftest.py). The page
tests sign in through AppTest's `user` with an `[auth]` section in the secrets; a real browser
login would need an OpenID Connect provider, which this machine has none of.
"""

from __future__ import annotations

import calendar
import logging
import time
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import factories
from studio import migrations
from studio.errors import InputError
from studio.library import Library, NewTake
from studio.migrations import MIGRATIONS
from studio.people import (
    Allowance,
    BudgetKind,
    Person,
    PersonBudget,
    Scope,
    byline,
    day_start,
    display_name,
    tightest,
)
from studio.settings import load_settings

ANA = {"is_logged_in": True, "email": "Ana@Example.com", "name": "Ana"}
BEN = {"is_logged_in": True, "email": "ben@example.com", "name": "Ben"}


# --- the core: persons, budgets, scopes -------------------------------------------------------
def test_a_person_is_made_from_a_signed_in_user_and_none_otherwise():
    ana = Person.from_user(ANA)
    assert ana == Person(email="ana@example.com", name="Ana"), "emails are compared in lower case"
    assert Person.from_user({"is_logged_in": True, "email": "lee.park@example.com"}).name == "Lee Park"
    assert Person.from_user(None) is None
    assert Person.from_user({}) is None
    assert Person.from_user({"email": "test@example.com"}) is None, "AppTest's default user is not signed in"
    assert Person.from_user({"is_logged_in": False, "email": "ana@example.com"}) is None
    assert Person.from_user({"is_logged_in": True, "name": "No Email"}) is None
    assert Person.from_user({"is_logged_in": True, "email": "not an email"}) is None
    long_name = Person.from_user({**ANA, "name": "  A   " + "n" * 200})
    assert long_name is not None and long_name.name.startswith("A n") and len(long_name.name) == 80


def test_bylines_name_the_maker_and_use_the_signed_in_persons_own_name():
    ana = Person.from_user(ANA)
    assert byline(None, ana) is None
    assert byline("ana@example.com", ana) == "by Ana"
    assert byline("ben.stone@example.com", ana) == "by Ben Stone"
    assert byline("ben@example.com") == "by Ben"
    assert display_name("x_y-z@example.com") == "X Y Z"


def test_the_person_budget_comes_from_the_default_and_the_overrides(caplog):
    ana, ben, cy = (Person(f"{n}@example.com", n.title()) for n in ("ana", "ben", "cy"))
    with caplog.at_level(logging.WARNING, logger="varg_studio.people"):
        budget = PersonBudget.from_config(
            500,
            {
                "ANA@example.com": 2000,
                "ben@example.com": "none",
                "cy@example.com": -5,
                "not-an-email": 10,
                "dee@example.com": "300",
                "eve@example.com": True,
            },
        )
    assert budget.cap(ana) == 2000
    assert budget.cap(ben) is None, '"none" lifts the default for one person'
    assert budget.cap(cy) == 500, "a bad value is skipped: the default applies"
    assert budget.cap(Person("dee@example.com", "Dee")) == 300
    assert budget.cap(Person("eve@example.com", "Eve")) == 500, "true is not a number of credits"
    assert budget.cap(None) is None, "nobody signed in: no person budget"
    assert budget.budget_left(ana, 1500) == 500
    assert budget.budget_left(ana, 2500) == -500
    assert budget.budget_left(ben, 10**6) is None
    assert len([r for r in caplog.records if "skipped" in r.message]) == 3
    assert PersonBudget.from_config(None).cap(ana) is None
    assert PersonBudget.from_config(0).cap(ana) is None, "0 as the default means no budget"
    assert PersonBudget.from_config(None, {"ana@example.com": 0}).budget_left(ana, 0) == 0


def test_the_tighter_budget_wins_and_says_whose_it_is():
    assert tightest(None, None) is None
    assert tightest(300, None) == Allowance(300, BudgetKind.SESSION)
    assert tightest(None, 200) == Allowance(200, BudgetKind.PERSON)
    assert tightest(300, 200).kind is BudgetKind.PERSON
    assert tightest(100, 200).kind is BudgetKind.SESSION
    person = Allowance(150, BudgetKind.PERSON)
    assert person.refusal(150) is None
    with pytest.raises(InputError) as refused:
        person.check(210)
    assert refused.value.field == "submit"
    assert "210 credits and your daily budget has 150 left" in refused.value.message
    assert "this session's budget has 0 left" in Allowance(-40, BudgetKind.SESSION).refusal(10)


def test_the_budget_day_starts_at_midnight_utc():
    noon = calendar.timegm((2026, 3, 14, 12, 30, 0))
    assert day_start(noon) == calendar.timegm((2026, 3, 14, 0, 0, 0))
    assert day_start(calendar.timegm((2026, 3, 14, 0, 0, 0))) == calendar.timegm((2026, 3, 14, 0, 0, 0))
    assert day_start() <= time.time() < day_start() + 86400


def test_scopes_filter_by_the_person_or_not_at_all():
    ana = Person.from_user(ANA)
    assert Scope("mine") is Scope.MINE
    assert Scope.MINE.created_by(ana) == "ana@example.com"
    assert Scope.EVERYONE.created_by(ana) is None
    assert Scope.MINE.created_by(None) is None, "without a person, mine is everyone's workspace"


def test_the_person_budget_setting_is_read_from_the_environment():
    assert load_settings({"STUDIO_PERSON_BUDGET": "2500"}).person_budget == 2500
    assert load_settings({}).person_budget is None
    assert load_settings({"STUDIO_PERSON_BUDGET": "0"}).person_budget is None
    assert load_settings({"STUDIO_PERSON_BUDGET": "lots"}).person_budget is None


# --- the library, on both engines --------------------------------------------------------------
def add(lib: Library, prompt: str = "a harbour", *, by: str | None = None, credits: int = 100, **kw) -> list:
    sub = uuid.uuid4().hex
    takes, created = lib.add_batch(
        [
            NewTake(
                account=kw.pop("account", "demo"),
                batch_id="b_" + sub[:8],
                submission_id=sub,
                variant_index=0,
                mode="text-to-video",
                model="sora-2",
                prompt=prompt,
                duration_requested=4,
                duration=4,
                aspect_ratio="16:9",
                estimated_credits=credits,
                created_by=by,
                **kw,
            )
        ]
    )
    assert created
    return takes


def test_takes_record_who_made_them_and_it_never_changes(lib):
    take = add(lib, by="ana@example.com")[0]
    assert take.created_by == "ana@example.com"
    assert lib.get(take.id).created_by == "ana@example.com"
    assert add(lib)[0].created_by is None
    with pytest.raises(ValueError):
        lib.update(take.id, created_by="ben@example.com")


def test_the_library_lists_and_counts_one_persons_takes_or_everyones(lib, clock):
    a1 = add(lib, "ana one", by="ana@example.com")[0]
    b1 = add(lib, "ben one", by="ben@example.com")[0]
    a2 = add(lib, "ana two", by="ana@example.com")[0]
    old = add(lib, "before the login")[0]
    add(lib, "another account", by="ana@example.com", account="acct_other")
    assert [t.id for t in lib.list("demo", created_by="ana@example.com")] == [a2.id, a1.id]
    assert [t.id for t in lib.list("demo", created_by="ben@example.com")] == [b1.id]
    assert [t.id for t in lib.list("demo")] == [old.id, a2.id, b1.id, a1.id]
    assert lib.count("demo", created_by="ana@example.com") == 2
    assert lib.count("demo", created_by=None) == 4
    assert lib.count("demo", created_by="ana@example.com", search="two") == 1
    assert lib.list("demo", created_by="nobody@example.com") == []


def test_ideas_are_filtered_to_those_holding_a_persons_takes(lib, clock):
    from studio.take import Relation

    ana_root = add(lib, "ana's idea", by="ana@example.com")[0]
    ben_kid = add(
        lib,
        "ben re-rolls it",
        by="ben@example.com",
        parent_id=ana_root.id,
        relation=Relation.REROLL.value,
        idea_id=ana_root.idea_id,
    )[0]
    ben_root = add(lib, "ben's own idea", by="ben@example.com")[0]
    assert [i[0] for i in lib.ideas("demo", created_by="ana@example.com")] == [ana_root.idea_id]
    assert lib.ideas("demo", created_by="ana@example.com")[0][1] == 2, "Ben's re-roll is still in the tree"
    assert [i[0] for i in lib.ideas("demo", created_by="ben@example.com")] == [
        ben_root.idea_id,
        ana_root.idea_id,
    ]
    assert lib.count_ideas("demo", created_by="ana@example.com") == 1
    assert lib.count_ideas("demo", created_by="ben@example.com") == 2
    assert lib.count_ideas("demo") == 2
    # Both filters: an idea with a kept take and a take by Ana, even when they are different takes.
    lib.set_verdict(ben_kid.id, "keep")
    assert [i[0] for i in lib.ideas("demo", verdict="keep", created_by="ana@example.com")] == [
        ana_root.idea_id
    ]
    assert lib.count_ideas("demo", verdict="keep", created_by="ana@example.com") == 1
    assert lib.count_ideas("demo", verdict="keep", created_by="ben@example.com") == 1
    assert lib.count_ideas("demo", verdict="reject", created_by="ana@example.com") == 0


def test_a_persons_spend_counts_their_takes_since_a_moment(lib, clock):
    first = add(lib, by="ana@example.com", credits=100)[0]
    billed = add(lib, by="ana@example.com", credits=100)[0]
    lib.update(billed.id, job_id="job_b", billed_credits=90, status="completed")
    never_sent = add(lib, by="ana@example.com", credits=500)[0]
    lib.update(never_sent.id, status="failed")
    add(lib, by="ben@example.com", credits=700)
    add(lib, credits=1000)
    assert lib.spend_by("demo", "ana@example.com", 0) == 190
    assert lib.spend_by("demo", "ben@example.com", 0) == 700
    assert lib.spend_by("demo", "ana@example.com", first.created_at + 1) == 90, "only since that moment"
    assert lib.spend_by("acct_other", "ana@example.com", 0) == 0


def test_migration_5_gives_old_takes_no_maker(store, monkeypatch):
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in MIGRATIONS if m[0] < 5])
    old = store()  # a library as migrations 1-4 left it
    with old._write() as tx:
        tx.execute(
            "INSERT INTO takes (id, account, batch_id, submission_id, variant_index, mode, model, prompt,"
            " created_at, updated_at, idea_id) VALUES ('old', 'demo', 'b', 's', 0, 'text-to-video',"
            " 'sora-2', 'p', 1, 1, 'b')"
        )
    assert old.schema_version() == 4
    old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    lib = store()
    assert lib.schema_version() >= 5
    assert lib.get("old").created_by is None
    assert lib.count("demo", created_by="ana@example.com") == 0
    assert lib.count("demo") == 1
    assert lib.spend_by("demo", "ana@example.com", 0) == 0


# --- the pages, signed in through AppTest ------------------------------------------------------
APP = str(Path(__file__).resolve().parents[1] / "studio_frame.py")
CLIENT_SECRET = "oidc-client-secret-never-shown"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "cookie-secret-never-shown",
    "client_id": "studio",
    "client_secret": CLIENT_SECRET,
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch, studio_home: Path):
    """Fast demo jobs, and a fresh hub (library, demo gateway) per test: STUDIO_HOME is per test."""
    monkeypatch.setenv("STUDIO_DEMO_JOB_SECONDS", "0.5")
    monkeypatch.delenv("STUDIO_GATEWAY_PORT", raising=False)
    monkeypatch.delenv("STUDIO_SESSION_BUDGET", raising=False)
    monkeypatch.delenv("STUDIO_PERSON_BUDGET", raising=False)
    yield
    from components import wiring

    try:
        wiring.hub().stop()
    finally:
        wiring._fallback_hub.clear()


def _studio():
    from components import wiring

    return wiring.hub().studio(None)


def _creates() -> int:
    from components import wiring

    hub = wiring.hub()
    hub.gateway_url()
    return int(hub._gateway.stats()["creates"])


def _app(page: str | None = None, *, user: dict | None = None, auth: bool = True, budgets=None) -> AppTest:
    _studio().catalog.wait()
    at = AppTest.from_file(APP, default_timeout=60)
    if auth:
        at.secrets["auth"] = dict(AUTH)
    if budgets:
        at.secrets["budgets"] = dict(budgets)
    if user is not None:
        at.user = dict(user)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _seed(prompt: str, by: str | None):
    """A completed Kling take with a seed (so it can be re-rolled), a real poster and short video,
    written straight to the library."""
    lib = _studio().library
    video = lib.store_bytes(factories.mp4(1.0), ".mp4", kind="videos")
    poster = lib.store_bytes(factories.photo(320, 180), ".jpg", kind="posters")
    made, _ = lib.add_batch(
        [
            NewTake(
                account="demo",
                batch_id="b_" + uuid.uuid4().hex[:8],
                submission_id=uuid.uuid4().hex,
                variant_index=0,
                mode="text-to-video",
                model="kling_v3_standard",
                prompt=prompt,
                duration_requested=4,
                duration=4,
                aspect_ratio="16:9",
                estimated_credits=100,
                seed=1234,
                created_by=by,
            )
        ]
    )
    return lib.update(
        made[0].id, status="completed", video_path=video, poster_path=poster, job_id="j" + made[0].id
    )


def _sidebar_text(at: AppTest) -> str:
    return " ".join([h.proto.body for h in at.sidebar.html] + [c.value for c in at.sidebar.caption])


def _page_text(at: AppTest) -> str:
    parts = [h.proto.body for h in at.html] + [c.value for c in at.caption] + [m.value for m in at.markdown]
    return " ".join(parts + [e.value for e in at.error] + [w.value for w in at.warning])


def _cards(at: AppTest) -> set[str]:
    return {b.key.removeprefix("gopen_") for b in at.button if b.key and b.key.startswith("gopen_")}


@pytest.mark.usefixtures("pages")
def test_a_signed_in_persons_take_records_their_email():
    at = _app(user=ANA)
    sidebar = _sidebar_text(at)
    assert "Signed in as <b>Ana</b> · ana@example.com" in sidebar
    assert at.button(key="people_sign_out").label == "Sign out"
    assert CLIENT_SECRET not in _page_text(at) + sidebar and "cookie-secret" not in sidebar
    at.text_area(key="t2v_prompt").input("a lighthouse at dusk").run()
    at.button(key="t2v_generate").click().run()
    assert at.success and "Submitted" in at.success[0].value
    takes = _studio().library.list("demo")
    assert [t.created_by for t in takes] == ["ana@example.com"]
    assert _studio().library.count("demo", created_by="ana@example.com") == 1
    at.button(key="people_sign_out").click().run()
    assert at.button(key="people_sign_in").label == "Sign in", "signed out: Sign in is offered"
    assert "Signed in as" not in _sidebar_text(at)


@pytest.mark.usefixtures("pages")
def test_the_gallery_shows_mine_first_and_everyone_on_request():
    ana = _seed("ana's harbour", "ana@example.com")
    ben = _seed("ben's desert", "ben@example.com")
    at = _app("app_pages/library.py", user=ANA)
    assert at.segmented_control(key="gallery_scope").value == "mine"
    assert _cards(at) == {ana.id}, "Mine hides Ben's take"
    assert "by Ana" in [c.value for c in at.caption]
    at.segmented_control(key="gallery_scope").set_value("everyone").run()
    assert _cards(at) == {ana.id, ben.id}
    captions = [c.value for c in at.caption]
    assert "by Ana" in captions and "by Ben" in captions
    # Ben, signed in, sees his own first.
    assert _cards(_app("app_pages/library.py", user=BEN)) == {ben.id}


@pytest.mark.usefixtures("pages")
def test_the_board_shows_my_ideas_first_and_everyones_on_request():
    _seed("a harbour idea by ana", "ana@example.com")
    _seed("a desert idea by ben", "ben@example.com")
    at = _app("app_pages/board.py", user=ANA)

    def board() -> str:
        return " ".join(h.proto.body for h in at.html)

    assert at.segmented_control(key="board_scope").value == "mine"
    assert "Showing 1 of 1 idea" in board()
    assert "a harbour idea by ana" in board() and "a desert idea by ben" not in board()
    at.segmented_control(key="board_scope").set_value("everyone").run()
    assert "Showing 2 of 2 ideas" in board()
    assert "a harbour idea by ana" in board() and "a desert idea by ben" in board()


@pytest.mark.usefixtures("pages")
def test_a_person_budget_refuses_an_over_budget_submit_and_writes_nothing():
    at = _app(user=ANA, budgets={"ana@example.com": 50})
    assert "Your budget today: 50 of 50 credits left" in _sidebar_text(at)
    at.text_area(key="t2v_prompt").input("over my budget").run()
    at.button(key="t2v_generate").click().run()
    assert any("budget" in e.value for e in at.error), [e.value for e in at.error]
    assert _studio().library.count("demo") == 0
    # One click on a take page: refused with whose budget it is, nothing written, nothing sent.
    mine = _seed("spent already", "ana@example.com")  # 100 credits today: over the 50
    at = _app("app_pages/gallery.py", user=ANA, budgets={"ana@example.com": 50})
    at.query_params["take"] = mine.id
    at.run()
    assert "Your budget today: 0 of 50 credits left" in _sidebar_text(at)
    at.button(key="detail_reroll").click().run()
    toasts = [t.value for t in at.toast]
    assert any("your daily budget has 0 left" in t for t in toasts), toasts
    assert _studio().library.count("demo") == 1
    assert _creates() == 0
    # Ben has no override and no default applies: his re-roll goes through.
    at = _app("app_pages/gallery.py", user=BEN, budgets={"ana@example.com": 50})
    at.query_params["take"] = mine.id
    at.run()
    at.button(key="detail_reroll").click().run()
    assert _studio().library.count("demo", created_by="ben@example.com") == 1


@pytest.mark.usefixtures("pages")
def test_the_confirm_shows_the_persons_budget_left(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STUDIO_PERSON_BUDGET", "5000")
    from components import wiring

    wiring._fallback_hub.clear()  # the hub reads the settings once
    at = _app(user=ANA)
    at.selectbox(key="t2v_model").set_value("sora_2_pro").run()
    at.text_area(key="t2v_prompt").input("a glacier calving").run()
    at.button(key="t2v_generate").click().run()
    notes = [c.value for c in at.caption]
    assert any(n.startswith(":material/person: Your budget today: 5,000 credits left → ") for n in notes), (
        notes
    )
    at.button(key="t2v_confirm_go").click().run()
    take = _studio().library.list("demo")[0]
    assert take.created_by == "ana@example.com"
    left = 5000 - take.estimated_credits
    assert f"Your budget today: {left:,} of 5,000 credits left" in _sidebar_text(at)


@pytest.mark.usefixtures("pages")
def test_signed_out_with_a_login_offers_sign_in_and_shares_the_workspace():
    ben = _seed("ben's", "ben@example.com")
    at = _app("app_pages/library.py", user={"is_logged_in": False})
    assert at.button(key="people_sign_in").label == "Sign in"
    assert "Signed out: takes made now are shared" in _sidebar_text(at)
    assert not [s for s in at.segmented_control if s.key == "gallery_scope"]
    assert _cards(at) == {ben.id}


@pytest.mark.usefixtures("pages")
def test_without_a_login_nothing_about_people_appears():
    old = _seed("made before any login", None)
    at = _app("app_pages/library.py", user=ANA, auth=False, budgets={"ana@example.com": 1})
    sidebar = _sidebar_text(at)
    assert "Signed in" not in sidebar and "Signed out" not in sidebar and "Your budget today" not in sidebar
    assert not [b for b in at.button if b.key in ("people_sign_in", "people_sign_out")]
    assert not [s for s in at.segmented_control if s.key == "gallery_scope"]
    assert _cards(at) == {old.id}
    assert not [c for c in at.caption if c.value.startswith("by ")]
    at.switch_page("app_pages/text_to_video.py").run()
    at.text_area(key="t2v_prompt").input("shared per key").run()
    at.button(key="t2v_generate").click().run()
    assert at.success, "the per-person budget does not apply without a login"
    assert [t.created_by for t in _studio().library.list("demo")] == [None, None]
