"""An uploaded input file, as either API version answers an upload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.api.job import flag, mapping, need_str, number, opt_str


@dataclass(frozen=True)
class UploadedFile:
    file_id: str
    url: str
    hash: str
    size: int
    media_type: str
    deduplicated: bool

    @classmethod
    def from_dict(cls, d: Any) -> UploadedFile:
        """A v1 upload answer."""
        d = mapping(d, "file upload answer")
        what = "file upload answer"
        return cls(
            file_id=need_str(d, "file_id", what),
            url=need_str(d, "url", what),
            hash=need_str(d, "hash", what),
            size=number(d, "size", what),
            media_type=need_str(d, "media_type", what),
            deduplicated=flag(d, "deduplicated", what),
        )

    @classmethod
    def from_v2(cls, d: Any, *, deduplicated: bool) -> UploadedFile:
        d = mapping(d, "file upload answer")
        what = "file upload answer"
        return cls(
            file_id=need_str(d, "file_id", what),
            url=need_str(d, "url", what),
            hash=opt_str(d, "hash", what) or "",
            size=number(d, "size_bytes", what, 0),
            media_type=opt_str(d, "media_type", what) or "",
            deduplicated=deduplicated,
        )
