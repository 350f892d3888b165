"""How the app's services are wired: the hub from `st.App`'s lifespan, and the demo gateway.

Under `streamlit run studio_app.py` the app's lifespan makes the hub and mounts the demo gateway
on the studio's own port. Where no app runs (AppTest, a bare `streamlit run studio_frame.py`) a
hub is made once per process with a standalone demo gateway on a free loopback port.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import streamlit as st

from demo_gateway import DemoGateway
from demo_gateway.gateway import GatewayBusy
from studio.secrets_file import folder_secret
from studio.services import DEMO_BALANCE, Hub
from studio.settings import Settings, load_settings

log = logging.getLogger("varg_studio.ui")


def _gateway_dir(settings: Settings):
    return settings.studio_home / "demo_gateway"


def demo_webhook_secret(settings: Settings) -> str:
    """The secret demo-mode webhooks are signed with: one per data folder (0600), so a second
    studio on the same folder, which uses the first one's gateway, verifies its callbacks too."""
    return folder_secret(_gateway_dir(settings) / "webhook.secret")


class SharedGateway:
    """Another studio's live demo gateway on the same data folder, used instead of a second one."""

    def __init__(self, url: str) -> None:
        self.v2_url = url.rstrip("/") + "/v2"

    def stop(self) -> None:
        pass  # not ours to stop


class MountedDemoGateway:
    """The demo gateway as a mounted ASGI app of the studio: one port, made on first demo use.

    Nothing touches the data folder until then, so a studio with a key (or a read-only folder)
    never creates the demo gateway's files; until it exists the mount answers 503.
    """

    def __init__(self, settings: Settings, webhook_secret: str, *, mount_path: str) -> None:
        self.mount_path = mount_path
        self._settings = settings
        self._secret = webhook_secret
        self._lock = threading.Lock()
        self.gateway: DemoGateway | None = None
        self.v2_url = ""

    async def asgi(self, scope: Any, receive: Any, send: Any) -> None:
        gateway = self.gateway
        if gateway is None:
            if scope["type"] != "http":
                return
            body = b'{"error": {"code": "not_started", "message": "The demo gateway is not running."}}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await gateway.asgi(scope, receive, send)

    def factory(self, settings: Settings, webhook_secret: str | None) -> MountedDemoGateway | SharedGateway:
        with self._lock:
            if self.gateway is None:
                gateway = DemoGateway(
                    _gateway_dir(self._settings),
                    job_seconds=self._settings.demo_job_seconds,
                    initial_balance=DEMO_BALANCE,
                    webhook_secret=self._secret,
                    # Test hook: the admin routes exist only when a token is set (never by default).
                    admin_token=os.environ.get("STUDIO_DEMO_ADMIN_TOKEN", "").strip() or None,
                )
                try:
                    gateway.open()
                except GatewayBusy as busy:
                    return _shared(busy)
                port = int(st.get_option("server.port") or 8501)
                base = f"http://127.0.0.1:{port}{self.mount_path}"
                gateway.advertise(base)
                self.v2_url = base + "/v2"
                self.gateway = gateway
        return self

    def reset_credits(self, api_key: str) -> int:
        """The demo account's credits back to the start (see DemoGateway.reset_credits)."""
        gateway = self.gateway
        if gateway is None:
            raise RuntimeError("The demo gateway is not running.")
        return gateway.reset_credits(api_key)

    def stop(self) -> None:
        with self._lock:
            gateway, self.gateway = self.gateway, None
            self.v2_url = ""
        if gateway is not None:
            gateway.stop()


def _shared(busy: GatewayBusy) -> SharedGateway:
    if not busy.url:
        raise OSError(
            "another studio is starting its demo gateway on this data folder; reload in a moment"
        )
    log.info("demo mode: using the demo gateway another studio runs at %s", busy.url)
    return SharedGateway(busy.url)


def _standalone_gateway(settings: Settings, webhook_secret: str | None) -> DemoGateway | SharedGateway:
    try:
        return DemoGateway(
            _gateway_dir(settings),
            job_seconds=settings.demo_job_seconds,
            initial_balance=DEMO_BALANCE,
            webhook_secret=webhook_secret or demo_webhook_secret(settings),
        ).start()
    except GatewayBusy as busy:
        return _shared(busy)


def make_hub(
    settings: Settings,
    *,
    gateway_factory: Any = None,
    webhook_secret: str | None = None,
    serving: bool = False,
) -> Hub:
    """The hub; when the studio serves HTTP itself, demo-mode webhooks call back its own route."""
    public = settings.public_url
    if serving and not public:
        public = f"http://127.0.0.1:{int(st.get_option('server.port') or 8501)}"
    return Hub(
        settings,
        gateway_factory=gateway_factory or _standalone_gateway,
        public_url=public,
        webhook_secret=webhook_secret,
    )


def _studio_app() -> Any:
    module = sys.modules.get("studio_app")
    return getattr(module, "app", None)


def set_app_hub(hub: Hub | None) -> None:
    """Recorded in the app's state by its lifespan (also readable by the routes)."""
    app = _studio_app()
    if app is not None:
        if hub is None:
            app.state.pop("hub", None)
        else:
            app.state["hub"] = hub


def app_hub() -> Hub | None:
    app = _studio_app()
    return app.state.get("hub") if app is not None else None


def _release(hub: Hub) -> None:
    hub.stop()


@st.cache_resource(show_spinner=False, on_release=_release)
def _fallback_hub(home: str) -> Hub:
    log.info("no st.App lifespan: starting services for %s in this process", home)
    return make_hub(load_settings())


def hub() -> Hub:
    """This process's hub: the app's, or one made for a run without the app (AppTest)."""
    found = app_hub()
    if found is not None:
        return found
    return _fallback_hub(str(load_settings().studio_home))


def reset() -> None:
    """Stop and forget the hubs made without the app (tests start each case afresh)."""
    _fallback_hub.clear()
