"""Serving the web channel with uvicorn (bot.runner runs it beside the bot and the scheduler)."""

from __future__ import annotations

import contextlib
import socket

import uvicorn

from bot.services import Services
from bot.web.app import create_app
from knowledge import messages as M
from knowledge.errors import XuefaError

GRACE_SECONDS = 10  # requests in flight may finish this long after a signal


class Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the process, so one SIGTERM stops the web and the bot together."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket first, so a busy port is one clear line rather than uvicorn's exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise XuefaError(M.WEB_PORT_BUSY.format(host=host, port=port, reason=exc.strerror or exc)) from None
    return sock


def make_server(services: Services, host: str, port: int) -> Server:
    """Return a uvicorn server for the web app: no access log (URLs stay out of logs), no server header."""
    config = uvicorn.Config(
        create_app(services), host=host, port=port, access_log=False, log_config=None, lifespan="off",
        server_header=False, proxy_headers=True, timeout_graceful_shutdown=GRACE_SECONDS,
    )
    return Server(config)


def run_web(services: Services, host: str, port: int, with_bot: bool = False) -> None:
    """Run the web channel (and the bot, and the scheduler) in this process until a signal."""
    from bot.runner import run_service

    run_service(services, (host, port), with_bot)
