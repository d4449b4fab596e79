"""A unit's WeCom staff group: the weekly notice through the group's robot (消息推送 webhook)."""

from __future__ import annotations

from bot.channels import Notice, Sent, absolute
from bot.wecom.client import WeComError
from bot.wecom.robot import GroupRobot


def group_markdown(notice: Notice, web_url: str | None) -> str:
    """The robot's markdown: the title in bold, the text, and the link into the web app when there is one."""
    lines = [f"**{notice.title}**", notice.text.replace("<", "＜").replace(">", "＞")]
    if web_url and notice.link:
        lines.append(f"[{notice.button or notice.title}]({absolute(web_url, notice.link)})")
    return "\n".join(lines)


async def send_to_group(settings, address: str, secret: str, notice: Notice) -> Sent:
    """Send a notice to one group robot (its webhook key or URL); the key never reaches a message or log."""
    try:
        robot = GroupRobot(address, settings.wecom_base_url)
    except ValueError:
        return Sent("failed", "not a WeCom webhook")
    try:
        await robot.send_markdown(group_markdown(notice, settings.web_url))
    except WeComError as exc:
        return Sent("failed", f"errcode {exc.errcode}")
    finally:
        await robot.close()
    return Sent("sent")
