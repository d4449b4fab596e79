"""The web application: every topic's routes, the static files, the protective headers."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bot.services import Services
from bot.web import admin, auth, chat, dashboard, quiz, review
from bot.web.pages import Web
from bot.web.security import SecurityHeaders
from knowledge import messages as M

STATIC = Path(__file__).resolve().parent / "static"


def create_app(services: Services) -> Starlette:
    """Build the web channel over running services (the same ones the bot uses when both run)."""
    web = Web(services)
    routes = [
        *auth.routes(web), *chat.routes(web), *quiz.routes(web), *dashboard.routes(web), *admin.routes(web),
        *review.routes(web),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    async def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
        # Unknown paths and wrong methods: a page in the site's words, with nothing echoed back.
        title = M.WEB_NOT_FOUND_TITLE if exc.status_code == 404 else M.WEB_ERROR_TITLE
        text = M.WEB_NOT_FOUND if exc.status_code == 404 else M.WEB_BAD_REQUEST
        page = web.templates.get_template("message.html").render(M=M, title=title, text=text, nav=[])
        return HTMLResponse(page, status_code=exc.status_code, headers=exc.headers)

    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders, secure=services.settings.web_secure)],
        exception_handlers={HTTPException: http_error},
    )
    app.state.web = web
    return app
