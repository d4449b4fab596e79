"""Running xuefa as a service: the web app, the Telegram bot, WeCom and DingTalk, and the scheduler.

Everything runs on one asyncio event loop in one process, over one Services (one database
connection, one loaded index, one QuizFlow): PTB's Application is started by hand (initialize,
start, polling or webhook) instead of run_polling(), which would own the loop and the signals.
The scheduler runs whatever channels run, the web alone included, so the week's round opens at
its push time. The process installs its own SIGINT/SIGTERM handlers; a signal stops the
scheduler (a push in flight stops taking new members), the web server (which finishes the
requests in flight), the receivers and the bot, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal

from bot.outreach import close_channels, open_channels, outreach_for
from bot.scheduler import Scheduler
from bot.services import Services

log = logging.getLogger(__name__)


async def serve(services: Services, web: tuple[str, int] | None = None, with_bot: bool = False) -> None:
    """Serve until SIGINT or SIGTERM: the web app at (host, port) if given, the bot if asked, the scheduler always."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    application = None
    channels: dict = {}
    receivers: list[asyncio.Task] = []
    sock = server = web_task = scheduler = scheduling = None
    try:
        if web is not None:
            from bot.web.serve import bind, make_server

            sock = bind(*web)  # first: a busy port is one clear line before anything starts
        if with_bot:
            application = await _start_bot(services)
        channels = await open_channels(services, application.bot if application else None)
        scheduler = Scheduler(services, outreach_for(services, channels, keep_going=lambda: not stop.is_set()))
        receivers = [asyncio.create_task(receiver) for receiver in _receivers(services)]
        scheduling = asyncio.create_task(scheduler.run())
        waits = {asyncio.create_task(stop.wait())}
        if web is not None:
            server = make_server(services, *web)
            web_task = asyncio.create_task(server.serve(sockets=[sock]))
            waits.add(web_task)
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if scheduler is not None:
            scheduler.stop()  # a push in flight finishes its sends in flight and records them
        if server is not None:
            server.should_exit = True  # requests in flight finish
            await web_task
        for task in receivers:
            task.cancel()
        await asyncio.gather(*receivers, *([scheduling] if scheduling else []), return_exceptions=True)
        if sock is not None:
            sock.close()
        if application is not None:
            await _stop_bot(application)
        await close_channels(channels)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _receivers(services: Services) -> list:
    """Return the long-running receivers of the channels that need one (DingTalk's Stream mode)."""
    receivers = []
    settings = services.settings
    if settings.dingtalk_enabled and settings.dingtalk_stream:
        try:
            stream = importlib.import_module("bot.dingtalk.receive")
        except ModuleNotFoundError:
            log.warning("DingTalk is configured but its receiver is not installed")
        else:
            receivers.append(stream.receive(services))
    return receivers


async def _start_bot(services: Services):
    from telegram import Update

    from bot.telegram.app import build_app

    settings = services.settings
    application = build_app(settings, services)
    await application.initialize()
    if application.post_init:
        await application.post_init(application)  # command menus, as run_polling does
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


def run_service(services: Services, web: tuple[str, int] | None = None, with_bot: bool = False) -> None:
    """Run the service in this process until a signal; close the services after."""
    try:
        asyncio.run(serve(services, web, with_bot))
    finally:
        services.close()
