"""Static files the live view needs, served by the app itself (the lecture
hall may have no internet): plotly.js from the installed ``plotly`` package,
compressed once and cached by browsers."""
from __future__ import annotations

import functools
import gzip
import hashlib
from pathlib import Path

import plotly
from starlette.requests import Request
from starlette.responses import Response

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_PATH = "/api/assets/plotly.min.js"


@functools.lru_cache(maxsize=1)
def _plotly_bundle() -> tuple[bytes, bytes, str]:
    """(plain, gzip-compressed, ETag); read and compressed once per process."""
    plain = PLOTLY_JS.read_bytes()
    return plain, gzip.compress(plain, 6), '"' + hashlib.sha256(plain).hexdigest()[:32] + '"'


async def plotly_js(request: Request) -> Response:
    plain, packed, etag = _plotly_bundle()
    headers = {"ETag": etag, "Cache-Control": "public, max-age=604800", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="text/javascript",
                        headers=headers | {"Content-Encoding": "gzip"})
    return Response(plain, media_type="text/javascript", headers=headers)
