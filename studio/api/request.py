"""What one take asks a gateway for, in either API version's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def canonical_model_id(model: str) -> str:
    """v2's spelling of a model id: underscores (`sora-2` → `sora_2`); a provider pin is kept."""
    provider, _, name = model.rpartition(":")
    name = name.strip().lower().replace("-", "_")
    return f"{provider}:{name}" if provider else name


def dashed_model_id(model: str) -> str:
    """v1's spelling of a model id (`sora_2` → `sora-2`); dots (`wan-2.5`) stay."""
    return canonical_model_id(model).rpartition(":")[2].replace("_", "-")


def same_model(a: str | None, b: str | None) -> bool:
    """True when two ids name one model under either spelling (old takes keep their ids)."""
    if not a or not b:
        return False
    return canonical_model_id(a).rpartition(":")[2] == canonical_model_id(b).rpartition(":")[2]


@dataclass(frozen=True)
class VideoRequest:
    """One create, as plain values. Each backend turns it into its version's JSON body."""

    model: str
    prompt: str
    duration: int | None = None
    aspect_ratio: str | None = None
    files: tuple[str, ...] = ()
    seed: int | None = None
    audio: bool = False
    end_image_url: str | None = None
    webhook_url: str | None = field(default=None, compare=False)

    def v2_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"model": canonical_model_id(self.model), "prompt": self.prompt}
        if self.duration is not None:
            body["duration"] = int(self.duration)
        if self.aspect_ratio:
            body["aspect_ratio"] = self.aspect_ratio
        if self.files:
            body["files"] = [{"url": url} for url in self.files]
        if self.seed is not None:
            body["seed"] = int(self.seed)
        if self.audio:
            body["audio"] = "native"
        if self.end_image_url:
            body["end_image_url"] = self.end_image_url
        if self.webhook_url:
            body["options"] = {"webhook_url": self.webhook_url}
        return body
