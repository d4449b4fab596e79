"""Logging for every xuefa process: one format on stderr, and no secret ever written out."""

from __future__ import annotations

import logging
import sys


# Libraries whose DEBUG level logs message payloads (updates, API parameters and results, forms).
PAYLOAD_LOGGERS = ("telegram", "apscheduler", "multipart", "python_multipart", "uvicorn.error", "websockets")


class RedactSecrets(logging.Filter):
    """Replace secrets (the bot token, the webhook secret, API keys) in every log line, tracebacks included.

    Bot API URLs carry the token, and httpx logs URLs at debug level: `xuefa -v` must not print it.
    """

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def configure(verbose: bool) -> None:
    """Log to stderr at WARNING (DEBUG with -v); httpx's request lines (URLs with the token) stay quiet."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # PTB's debug lines dump whole updates and Bot API calls: names, phones, questions, invite codes
    # (issue 17). Its INFO and above say what happens without what anyone wrote; -v stops there.
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def redact(secrets: list[str]) -> None:
    """Install the redaction on every root handler (and so on every logger that propagates)."""
    if not secrets:
        return
    for handler in logging.getLogger().handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, RedactSecrets)]
        handler.addFilter(RedactSecrets(secrets))
