"""A unit's DingTalk staff group: the weekly notice through the group's custom robot (加签)."""

from __future__ import annotations

from bot.channels import Notice, Sent, absolute
from bot.dingtalk.channel import markdown_of
from bot.dingtalk.client import DingTalkError
from bot.dingtalk.robot import GroupRobot


def group_markdown(notice: Notice, web_url: str | None) -> str:
    """The robot's markdown: the title as a heading, the text, and the link into the web app when there is one."""
    lines = [f"### {notice.title}", "", markdown_of(notice.text)]
    if web_url and notice.link:
        lines += ["", f"[{notice.button or notice.title}]({absolute(web_url, notice.link)})"]
    return "\n".join(lines)


async def send_to_group(settings, address: str, secret: str, notice: Notice) -> Sent:
    """Send a notice to one group robot (its webhook URL, signed with its secret when it has one)."""
    try:
        robot = GroupRobot(address, secret or None, oapi_url=settings.dingtalk_oapi_url)
    except ValueError:
        return Sent("failed", "not a DingTalk robot webhook")
    try:
        await robot.send_markdown(notice.title, group_markdown(notice, settings.web_url))
    except DingTalkError as exc:
        return Sent("failed", type(exc).__name__)
    finally:
        await robot.close()
    return Sent("sent")
