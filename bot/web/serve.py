"""Serving the web channel with uvicorn: alone (`xuefa web`), or beside the Telegram bot (`xuefa run`).

With the bot, both run on one asyncio event loop in one process, over one Services (one
database connection, one loaded index, one QuizFlow): PTB's Application is started by hand
(initialize, start, polling or webhook) instead of run_polling(), which would own the loop and
the signals. The process installs its own SIGINT/SIGTERM handlers; a signal stops the web
server (which finishes the requests in flight), then the bot, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket

import uvicorn

from bot.services import Services
from bot.web.app import create_app
from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.privacy import prune

GRACE_SECONDS = 10  # requests in flight may finish this long after a signal
PRUNE_EVERY = 24 * 3600  # seconds between retention runs when no bot (and its nightly job) runs beside


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


async def serve(services: Services, host: str, port: int, with_bot: bool = False) -> None:
    """Serve the web app (and the bot) until SIGINT or SIGTERM."""
    sock = bind(host, port)
    web = make_server(services, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    application = None
    pruning = None
    try:
        if with_bot:
            application = await _start_bot(services)  # its job queue keeps retention
        else:
            pruning = asyncio.create_task(_prune_daily(services))
        web_task = asyncio.create_task(web.serve(sockets=[sock]))
        stop_task = asyncio.create_task(stop.wait())
        await asyncio.wait({web_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        web.should_exit = True
        stop_task.cancel()
        await web_task
    finally:
        sock.close()
        if pruning is not None:
            pruning.cancel()
        if application is not None:
            await _stop_bot(application)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _prune_daily(services: Services) -> None:
    """Without the bot: delete logs past their retention now and then once a day, as its nightly job does."""
    while True:
        await asyncio.to_thread(prune, services.repository, services.settings.retention)
        await asyncio.sleep(PRUNE_EVERY)


async def _start_bot(services: Services):
    from telegram import Update

    from bot.telegram.app import build_app

    settings = services.settings
    application = build_app(settings, services)
    await application.initialize()
    if application.post_init:
        await application.post_init(application)  # command menus and the weekly jobs, as run_polling does
    await application.start()
    if settings.webhook_url:
        await application.updater.start_webhook(
            listen=settings.webhook_listen, port=settings.webhook_port, url_path=settings.webhook_path,
            webhook_url=settings.webhook_url, secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
    return application


async def _stop_bot(application) -> None:
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    if application.post_shutdown:
        await application.post_shutdown(application)
    await application.shutdown()


def run_web(services: Services, host: str, port: int, with_bot: bool = False) -> None:
    """Run the web channel (and the bot) in this process until a signal; close the services after."""
    try:
        asyncio.run(serve(services, host, port, with_bot))
    finally:
        services.close()
