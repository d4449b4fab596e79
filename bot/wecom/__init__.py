"""WeCom (企业微信) adapter: a self-built app (自建应用) as a push channel, a sign-in and a chat.

Modules, each following developer.work.weixin.qq.com:
* client   WeComClient: access token (cached, one fetch per process), message/send (textcard,
           text), user/getuserid, auth/getuserinfo, the snsapi_base authorize URL.
* channel  WeComChannel: the bot.channels.Channel port over the client.
* crypto   WeComCrypto: the callback signature and AES scheme (URL verification, decrypt, reply).
* callback parse_message / reply_text: the callback's XML, no web framework.
* robot    GroupRobot: the group webhook (20 messages a minute per robot).
* limits   the documented limits (with their doc URLs) and the pacers.

`limits()` gives the numbers a benchmark needs; `push_seconds(members, seconds_per_call=…)`
the time a push to N members takes within them.
"""

from __future__ import annotations

from bot.wecom.limits import LIMITS, push_seconds


def limits() -> dict[str, int]:
    """WeCom's documented limits that bound a push (see bot.wecom.limits for the sources):
    message_batch (userids per message/send), member_per_minute / member_per_hour (per app and
    member; WeCom drops the excess silently), api_per_minute / api_per_hour (per corp and API;
    message sends are exempt), daily_person_times_per_account (× the corp's account cap, per app
    and day), robot_per_minute (per group webhook), duplicate_check_default_seconds."""
    return dict(LIMITS)


__all__ = ["limits", "push_seconds"]
