"""The callback (接收消息) layer without any web framework: read what a member sent, build a reply.

接收消息与事件 https://developer.work.weixin.qq.com/document/path/90238 (消息格式 90239,
被动回复消息格式 90241). WeCom POSTs <xml><ToUserName/><AgentID/><Encrypt/></xml> to the
callback URL with msg_signature, timestamp and nonce in the query; the decrypted Encrypt is the
message XML. WeCom waits 5 seconds for the answer and retries three times: a slow answer should
return "" at once (an empty 200 is not retried) and reply later with message/send.

The web route (the lead's /wecom/callback) does:
    GET:  return crypto.verify_url(msg_signature, timestamp, nonce, echostr)  (plain text, as is)
    POST: message = parse_message(crypto.decrypt_message(msg_signature, timestamp, nonce, body))
          answer  = crypto.encrypt_reply(reply_text(message.userid, corp_id, text, now)).xml
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from bot.wecom.limits import TEXT_BYTES, trim_bytes
from bot.wecom.xmlsafe import XMLRefused, cdata, element_text, parse_xml

__all__ = ["Incoming", "Seen", "XMLRefused", "parse_envelope", "parse_message", "reply_text"]


class Incoming(NamedTuple):
    """What a member sent: their userid, the msgtype, and the content.

    content is the text for "text", the event name for "event" ("enter_agent", "click" with its
    EventKey as "click:KEY", "view" with its URL as "view:URL"), and "" for other types
    (image, voice, location… which xuefa does not read)."""

    userid: str
    msgtype: str
    content: str
    agent_id: str = ""
    msg_id: str = ""


class Envelope(NamedTuple):
    to_user: str  # the corp id
    agent_id: str
    encrypt: str


def parse_envelope(body: str | bytes) -> Envelope:
    """The outer (still encrypted) POST body."""
    root = parse_xml(body)
    return Envelope(element_text(root, "ToUserName"), element_text(root, "AgentID"), element_text(root, "Encrypt"))


def parse_message(xml: str | bytes) -> Incoming:
    """The decrypted message XML → Incoming. Raise XMLRefused when it is not a message."""
    root = parse_xml(xml)
    if root.tag != "xml":
        raise XMLRefused("the root element is not <xml>")
    userid = element_text(root, "FromUserName").strip()
    msgtype = element_text(root, "MsgType").strip().lower()
    if not userid or not msgtype:
        raise XMLRefused("the message has no FromUserName or MsgType")
    if msgtype == "text":
        content = element_text(root, "Content")
    elif msgtype == "event":
        event = element_text(root, "Event").strip()
        key = element_text(root, "EventKey").strip()
        content = f"{event}:{key}" if key and event.lower() in ("click", "view") else event
    else:
        content = ""
    return Incoming(userid, msgtype, content, element_text(root, "AgentID").strip(), element_text(root, "MsgId").strip())


def reply_text(to_userid: str, corp_id: str, content: str, create_time: int) -> str:
    """The plaintext passive reply (text, at most 2,048 bytes); encrypt it with
    WeComCrypto.encrypt_reply before answering."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_userid)}</ToUserName>"
        f"<FromUserName>{cdata(corp_id)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(trim_bytes(content, TEXT_BYTES))}</Content>"
        "</xml>"
    )


class Seen:
    """The last `size` message keys seen, to drop WeCom's retries of a callback (it retries three
    times when no answer comes within 5 s). Key a text by its MsgId, an event by
    FromUserName + CreateTime, as the documentation advises."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        if not key:
            return True
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True
