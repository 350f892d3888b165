"""Downloads of outputs (/o/) and uploads (/u/): no auth (like s3), counted, nosniff, byte ranges."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from demo_gateway.app import Endpoint
from demo_gateway.errors import INTERNAL_MESSAGE, HttpError
from demo_gateway.media import OUTPUT_NAME, SERVABLE, UPLOAD_NAME, ServedFile, range_usable

if TYPE_CHECKING:
    from demo_gateway.gateway import DemoGateway


async def output(gw: DemoGateway, request: Request, file: str) -> Response:
    gw.count_download(output=True, with_auth="authorization" in request.headers)
    if gw.faults.take("download_errors"):
        raise HttpError(500, INTERNAL_MESSAGE)
    path = gw.data_dir / "outputs" / file
    if not OUTPUT_NAME.fullmatch(file) or not path.is_file():
        raise HttpError(404, "Output not found.", code="file_not_found")
    usable = range_usable(request, path.stat().st_size)
    return ServedFile(path, "video/mp4", ignore_range=not usable)


async def upload(gw: DemoGateway, request: Request, file: str) -> Response:
    gw.count_download(output=False, with_auth="authorization" in request.headers)
    m = UPLOAD_NAME.fullmatch(file)
    found = gw.store.file(m.group(1)) if m else None
    path = gw.data_dir / "files" / file
    if found is None or found.name != file or not path.is_file():
        raise HttpError(404, "File not found.", code="file_not_found")
    usable = range_usable(request, path.stat().st_size)
    if found.media_type in SERVABLE:
        return ServedFile(path, found.media_type, ignore_range=not usable)
    return ServedFile(path, "application/octet-stream", attachment=True, ignore_range=not usable)


ENDPOINTS = [
    Endpoint("/o/{file}", "file", {"GET": output, "HEAD": output}),
    Endpoint("/u/{file}", "file", {"GET": upload, "HEAD": upload}),
]
