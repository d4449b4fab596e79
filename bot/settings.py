"""Settings from the environment or a .env file (prefix XUEFA_)."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.privacy import QUESTION_LOG_DAYS, SIGN_IN_DAYS, Retention

TELEGRAM_API = "https://api.telegram.org/bot"
WECOM_API = "https://qyapi.weixin.qq.com"
WECOM_OAUTH = "https://open.weixin.qq.com/connect/oauth2/authorize"
DINGTALK_OAPI = "https://oapi.dingtalk.com"
DINGTALK_API = "https://api.dingtalk.com"
DINGTALK_LOGIN = "https://login.dingtalk.com/oauth2/auth"
PUSH_CHANNELS = ("wecom", "dingtalk", "telegram")  # the default preference: the apps teachers open every day
# Each channel's adapter module, with `async open_channel(services, bot=None) -> bot.channels.Channel`.
# A new channel is one more adapter package, one more entry here, and its settings below.
ADAPTERS = {"telegram": "bot.telegram.channel", "wecom": "bot.wecom.channel", "dingtalk": "bot.dingtalk.channel"}
# Channels with group robots for a unit's staff group, each module with
# `async send_to_group(settings, address, secret, notice) -> bot.channels.Sent`.
GROUP_ADAPTERS = {"wecom": "bot.wecom.groups", "dingtalk": "bot.dingtalk.groups"}
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")  # Bot API: 1-256 of these; we ask for 16 at least


class SettingsError(XuefaError):
    """A missing or invalid setting."""


class Settings(BaseSettings):
    """Everything xuefa reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="XUEFA_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = None
    telegram_base_url: str = TELEGRAM_API
    telegram_base_file_url: str | None = None
    bot_username: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"  # behind a reverse proxy that terminates HTTPS; 0.0.0.0 only when told
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    data_dir: Path = Path("data")
    db: Path | None = None
    tz: str = "Asia/Shanghai"
    admins: Annotated[list[int], NoDecode] = Field(default_factory=list)
    studylist: str | None = None
    embedding_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout: float = Field(default=20.0, gt=0)
    question_log_days: int = Field(default=QUESTION_LOG_DAYS, ge=1, le=3650)
    sign_in_days: int = Field(default=SIGN_IN_DAYS, ge=1, le=3650)
    review_escalate_days: int = Field(default=3, ge=1, le=90)  # a unit's entry waiting longer goes to the bureau
    # The web channel (bot.web): `xuefa web`, or beside the bot in `xuefa run` when the port is set.
    web_port: int | None = Field(default=None, ge=1, le=65535)
    web_host: str = "127.0.0.1"  # behind a reverse proxy that terminates HTTPS; 0.0.0.0 only when told
    web_url: str | None = None  # the public address, e.g. https://xuefa.example.edu.cn: links, Secure cookies
    backup_dir: Path | None = None  # where `xuefa backup` and the nightly backup write; data_dir/backups
    backup_keep: int = Field(default=14, ge=1, le=3650)  # how many backups are kept
    backup_at: time = time(2, 30)  # the nightly backup, in the bureau's zone (XUEFA_BACKUP_AT=02:30)
    # Push channels, in the order a member reachable on several is sent to (a member gets each notice once).
    push_channels: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(PUSH_CHANNELS))
    # WeCom (企业微信) self-built app: messages, sign-in in its browser, the callback (bot.wecom).
    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: SecretStr | None = None
    wecom_base_url: str = WECOM_API
    wecom_oauth_url: str = WECOM_OAUTH
    wecom_token: SecretStr | None = None  # the callback's Token
    wecom_aes_key: SecretStr | None = None  # the callback's EncodingAESKey (43 characters)
    # DingTalk (钉钉) internal app: work notifications, sign-in, the Stream-mode chatbot (bot.dingtalk).
    dingtalk_app_key: str | None = None
    dingtalk_app_secret: SecretStr | None = None
    dingtalk_agent_id: int | None = None
    dingtalk_oapi_url: str = DINGTALK_OAPI
    dingtalk_api_url: str = DINGTALK_API
    dingtalk_login_url: str = DINGTALK_LOGIN
    dingtalk_stream: bool = True  # receive chat messages in Stream mode (no public callback URL needed)

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(M.SETTING_TZ.format(value=value)) from None
        return value

    @field_validator("admins", mode="before")
    @classmethod
    def _split_ids(cls, value):
        if isinstance(value, str):
            try:
                return [int(part) for part in value.replace("，", ",").split(",") if part.strip()]
            except ValueError:
                raise ValueError(M.SETTING_ADMINS.format(value=value)) from None
        return value

    @field_validator("push_channels", mode="before")
    @classmethod
    def _split_channels(cls, value):
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.replace("，", ",").split(",") if part.strip()]
        unknown = [name for name in value if name not in PUSH_CHANNELS]
        if unknown:
            raise ValueError(M.SETTING_PUSH_CHANNELS.format(value="、".join(unknown), known="、".join(PUSH_CHANNELS)))
        return value

    @field_validator("web_url")
    @classmethod
    def _web_url_shape(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(M.SETTING_WEB_URL.format(value=value))
        return value.rstrip("/")

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            head, _, tail = value.get_secret_value().partition(":")
            if not head.isdigit() or not tail:
                raise ValueError(M.SETTING_TOKEN)
            return value
        return None

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(M.SETTING_WEBHOOK_SECRET_SHAPE)
        return value if value is not None and value.get_secret_value() else None

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        # Without the secret header check anyone who finds the URL can post forged updates.
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(M.SETTING_WEBHOOK_SECRET)
        return self

    @property
    def webhook_path(self) -> str:
        """Return the path the webhook server listens on: the path of XUEFA_WEBHOOK_URL."""
        return urlsplit(self.webhook_url or "").path.lstrip("/")

    @property
    def wecom_enabled(self) -> bool:
        """Tell whether the WeCom app is configured (corp id, agent id and secret)."""
        return bool(self.wecom_corp_id and self.wecom_agent_id and self.wecom_secret)

    @property
    def dingtalk_enabled(self) -> bool:
        """Tell whether the DingTalk app is configured (app key and secret; the agent id for notifications)."""
        return bool(self.dingtalk_app_key and self.dingtalk_app_secret)

    @property
    def push_configured(self) -> list[str]:
        """Return the push channels configured here, in the order of preference."""
        ready = {"telegram": self.telegram_token is not None, "wecom": self.wecom_enabled,
                 "dingtalk": self.dingtalk_enabled and self.dingtalk_agent_id is not None}
        order = list(self.push_channels) + [name for name in PUSH_CHANNELS if name not in self.push_channels]
        return [name for name in order if ready[name]]

    @property
    def channels_configured(self) -> list[str]:
        """Return every channel configured here (for push, sign-in or chat), in the order of preference."""
        ready = {"telegram": self.telegram_token is not None, "wecom": self.wecom_enabled,
                 "dingtalk": self.dingtalk_enabled}
        order = list(self.push_channels) + [name for name in PUSH_CHANNELS if name not in self.push_channels]
        return [name for name in order if ready[name]]

    @property
    def live_channels(self) -> frozenset[str] | None:
        """Return the channels this deployment runs, where a member counts as reachable (None: any).

        The web counts when it is served (XUEFA_WEB_PORT or XUEFA_WEB_URL); WeCom and DingTalk
        sign people in on the web, so they count when configured. A machine where nothing is
        configured (an operator's shell) counts every channel rather than calling everyone unreachable.
        """
        live = set(self.push_configured)
        if self.web_port or self.web_url:
            live.add("web")
        if self.dingtalk_enabled:
            live.add("dingtalk")
        return frozenset(live) or None

    @property
    def secrets(self) -> list[str]:
        """Return every secret value set, for redacting them from logs."""
        values = (self.telegram_token, self.webhook_secret, self.llm_api_key, self.wecom_secret, self.wecom_token,
                  self.wecom_aes_key, self.dingtalk_app_secret)
        return [value.get_secret_value() for value in values if value is not None and value.get_secret_value()]

    @property
    def web_secure(self) -> bool:
        """Tell whether the web channel is reached over HTTPS (then its cookies are Secure)."""
        return bool(self.web_url and self.web_url.startswith("https://"))

    @property
    def db_path(self) -> Path:
        """Return the database file: XUEFA_DB, or xuefa.db in the data directory."""
        return self.db or self.data_dir / "xuefa.db"

    @property
    def retention(self) -> Retention:
        """Return how long logged questions and sign-in attempts are kept."""
        return Retention(self.question_log_days, self.sign_in_days)

    @property
    def backup_path(self) -> Path:
        """Return the folder of backups: XUEFA_BACKUP_DIR, or backups in the data directory."""
        return self.backup_dir or self.data_dir / "backups"

    @property
    def key_path(self) -> Path:
        """Return the file of the secret key that invite codes are hashed with (mode 0600)."""
        return self.data_dir / "secret.key"

    @property
    def index_dir(self) -> Path:
        """Return the folder where the search index is saved."""
        return self.data_dir / "index"

    @property
    def file_base_url(self) -> str:
        """Return the Bot API base for file downloads, derived from the API base."""
        if self.telegram_base_file_url:
            return self.telegram_base_file_url
        head, sep, tail = self.telegram_base_url.rpartition("/bot")
        return f"{head}/file/bot{tail}" if sep else self.telegram_base_url


def load_settings(**overrides) -> Settings:
    """Load settings, turning validation errors into one clear line per setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "XUEFA_" + ("_".join(str(part) for part in error["loc"]).upper() or "WEBHOOK_SECRET")
            problems.append(M.SETTING_INVALID.format(name=name, reason=error["msg"].removeprefix("Value error, ")))
        raise SettingsError("；".join(problems)) from None
