"""DingTalk's web route, mounted by bot.web through the channel hook: sign-in in DingTalk's browser.

GET /login/dingtalk[?next=/quiz] and /login/dingtalk/callback?authCode&state go through
bot.web.platform (the state cookie, the single-use code). The code becomes a user access token
(/v1.0/oauth2/userAccessToken), that the unionId (/v1.0/contact/users/me), that the userid
(topapi/user/getbyunionid): the userid is what the roster's 钉钉账号 and the work notices use.
"""

from __future__ import annotations

import logging

from starlette.routing import Route

from bot.dingtalk.channel import shared_client
from bot.dingtalk.client import DingTalkClient, DingTalkError, DingTalkSignInError
from bot.web.pages import Web
from bot.web.platform import CodeRefused, NotMember, PlatformDown, PlatformSignIn

log = logging.getLogger(__name__)
CHANNEL = "dingtalk"


class DingTalkWeb:
    """The DingTalk sign-in over one web app, with one client (one token fetch per process)."""

    def __init__(self, web: Web):
        self.settings = web.services.settings
        self.services = web.services
        # DingTalk sends the code back as authCode (the new OAuth2 pages); code as well, for older links.
        self.sign_in = PlatformSignIn(web, CHANNEL, lambda redirect, state: self.client.authorize_url(redirect, state),
                                      self.identify, code_params=("authCode", "code"))

    @property
    def client(self) -> DingTalkClient:
        return shared_client(self.services)

    async def identify(self, code: str) -> str:
        try:
            return await self.client.userid_from_code(code)
        except DingTalkSignInError as exc:
            raise (NotMember() if "not a member" in str(exc) else CodeRefused()) from None
        except DingTalkError as exc:
            raise PlatformDown(str(exc)) from None


def routes(web: Web) -> list[Route]:
    """Return the DingTalk routes for the web app (bot.web.app asks each configured channel)."""
    dingtalk = DingTalkWeb(web)
    web.dingtalk = dingtalk  # for tests: app.state.web.dingtalk
    return dingtalk.sign_in.routes()
