"""Who is who in a lecture hall: the presenter's key and cookie, every
browser's identity cookie, and the lecture run everyone follows.

``GRU_EXPLAINER_PRESENTER_KEY=<secret> streamlit run app.py`` turns lecture
mode on. The presenter opens ``/?key=<secret>`` once: the middleware answers
with an HttpOnly cookie holding a token derived from the key (so it survives
server restarts started with the same key) and redirects to the same page
without the key in the address bar. From then on that browser is the
presenter, across reloads and tabs, until ``/api/lecture/signout``.

Every browser also gets an identity cookie (random, HttpOnly): outside lecture
mode the runs a browser starts belong to it, so a reload keeps control.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

KEY_ENV = "GRU_EXPLAINER_PRESENTER_KEY"
PRESENTER_COOKIE = "gru_presenter"
BROWSER_COOKIE = "gru_browser"
COOKIE_MAX_AGE_S = 30 * 24 * 3600
SIGN_OUT_PATH = "/api/lecture/signout"


def presenter_token(key: str) -> str:
    """What the presenter's cookie holds: derived from the key, never the key."""
    return hmac.new(key.encode("utf-8"), b"gru-explainer presenter", hashlib.sha256).hexdigest()


@dataclass
class LectureHall:
    """The process's lecture settings and which run is the lecture's."""
    key: str | None
    run_id: str | None = None
    probe_text: str | None = None

    def __post_init__(self):
        self._lock = threading.Lock()
        self.token = presenter_token(self.key) if self.key else None

    @property
    def active(self) -> bool:
        """Lecture mode is on (a presenter key was set)."""
        return self.key is not None

    def is_presenter(self, cookies) -> bool:
        value = (cookies or {}).get(PRESENTER_COOKIE)
        return bool(self.token and value and secrets.compare_digest(value, self.token))

    def key_matches(self, key: str | None) -> bool:
        return bool(self.key and key and secrets.compare_digest(key, self.key))

    def follow(self, run_id: str | None) -> None:
        """Make ``run_id`` the run the room follows (None: waiting)."""
        with self._lock:
            self.run_id = run_id


_hall: LectureHall | None = None
_hall_lock = threading.Lock()


def hall() -> LectureHall:
    """The process-wide lecture settings (read from the environment once)."""
    global _hall
    with _hall_lock:
        if _hall is None:
            _hall = LectureHall(os.environ.get(KEY_ENV) or None)
        return _hall


def owner_key(cookies) -> str | None:
    """Who owns the runs this browser starts: the presenter in lecture mode,
    else the browser itself (None when it has no identity cookie, e.g. AppTest)."""
    lecture = hall()
    if lecture.active:
        return lecture.token if lecture.is_presenter(cookies) else None
    return (cookies or {}).get(BROWSER_COOKIE) or None


def _is_page_request(request: Request) -> bool:
    path = request.url.path
    return (request.method == "GET" and not path.startswith(("/_stcore/", "/static/", "/api/",
                                                             "/media/", "/component/"))
            and "text/html" in request.headers.get("accept", ""))


class IdentityMiddleware(BaseHTTPMiddleware):
    """Sets the identity cookies on page loads; turns ``?key=`` into the
    presenter's cookie (and drops the key from the address)."""

    async def dispatch(self, request: Request, call_next) -> Response:
        if not _is_page_request(request):
            return await call_next(request)
        lecture, key = hall(), request.query_params.get("key")
        response = None
        if key is not None and lecture.key_matches(key):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "key"]
            response = RedirectResponse(request.url.path + ("?" + urlencode(rest) if rest else ""),
                                        status_code=303)
            response.set_cookie(PRESENTER_COOKIE, lecture.token, max_age=COOKIE_MAX_AGE_S,
                                httponly=True, samesite="lax")
        if response is None:
            response = await call_next(request)
        if BROWSER_COOKIE not in request.cookies:
            response.set_cookie(BROWSER_COOKIE, secrets.token_urlsafe(18),
                                max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="lax")
        return response


async def sign_out(request: Request) -> Response:
    """Forget this browser's presenter cookie; back to the room's page."""
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(PRESENTER_COOKIE, httponly=True, samesite="lax")
    return response
