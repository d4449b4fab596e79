"""Messages of the second security round (issue 17): binding, limits, passwords, uploads."""

START_PRIVATE_ONLY = "邀请码只能在与我的私聊中使用：点开我的头像，私聊发送 /start 邀请码。群里发送的邀请码不会被使用，仍然有效。"
