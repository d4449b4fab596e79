"""DingTalk (钉钉) adapter: an internal app (企业内部应用) as a push channel, a sign-in and a chatbot.

Modules, each following open.dingtalk.com and, where its pages were not at hand, the official SDKs'
code (dingtalk-stream, alibabacloud-dingtalk); docs/channels.md says which rule rests on what:
* client   DingTalkClient: access token (cached, one fetch per process), work notifications
           (asyncsend_v2 + getsendprogress/getsendresult), getbymobile, OAuth2 sign-in to a
           userid, the Stream gateway's connections/open.
* channel  DingTalkChannel: the bot.channels.Channel port over the client.
* stream   DingTalkStream: the chatbot in Stream mode (websocket, ACKs, sessionWebhook replies).
* robot    GroupRobot: the custom group robot with its signature, 20 messages a minute.
"""

from __future__ import annotations

from bot.dingtalk.client import (
    BATCH_LIMIT,
    DAILY_CAP,
    DingTalkApiError,
    DingTalkAuthError,
    DingTalkClient,
    DingTalkError,
    DingTalkSignInError,
    DingTalkUnavailable,
)

LIMITS = {
    "message_batch": BATCH_LIMIT,  # userids per asyncsend_v2
    "person_per_day": DAILY_CAP,  # work notifications per person and day (internal app)
    "same_content_per_person_per_day": 1,
    "api_calls_per_second": 20,  # per app and API, standard edition (secondary source)
    "robot_per_minute": 20,
}


def limits() -> dict[str, int]:
    """DingTalk's limits that bound a push (sources in bot.dingtalk.client and docs/channels.md)."""
    return dict(LIMITS)


__all__ = ["DingTalkApiError", "DingTalkAuthError", "DingTalkClient", "DingTalkError", "DingTalkSignInError",
           "DingTalkUnavailable", "limits"]
