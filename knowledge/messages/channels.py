"""Strings of the platform channels (企业微信, 钉钉): sign-in in their browsers, chat, roster accounts."""

CHANNEL_NEEDS_WEB_URL = "{channel}的消息需要链接到网页版：请设置 XUEFA_WEB_URL（如 https://xuefa.example.edu.cn）"
PLATFORM_SIGN_IN_UNKNOWN = "未在名册中找到您的{channel}账号，请联系单位管理员"
PLATFORM_SIGN_IN_TITLE = "{channel}登录"
PLATFORM_SIGN_IN_EXPIRED = "登录链接已失效或已被使用，请从{channel}中重新打开学法助手"
PLATFORM_SIGN_IN_NOT_MEMBER = "只有本单位{channel}通讯录中的成员才能登录，请联系单位管理员"
PLATFORM_SIGN_IN_FAILED = "暂时无法连接{channel}，请稍后再试"
PLATFORM_AUDIT_SIGN_IN = "{channel}登录，地址 {address}"
PLATFORM_AUDIT_UNKNOWN = "{channel}账号 {account} 不在名册中（地址 {address}）"
PLATFORM_STAFF_PASSWORD = "{name}，您是{role}，查看他人学习记录前请用工号和密码登录"
PLATFORM_QUIZ_LINK = "点击进入本周学法测验：{link}"
PLATFORM_QUIZ_WORDS = ("测验", "答题", "开始答题", "考试")
ROSTER_ACCOUNT_COLUMNS = {"wecom": "企业微信账号", "dingtalk": "钉钉账号"}
ROSTER_ACCOUNT_BAD = "{column}“{value}”只能包含字母、数字和 _ - . @，最长 64 位"
ROSTER_ACCOUNTS_BOUND = "已绑定 {n} 个平台账号（{channels}）"
ROSTER_ACCOUNT_UNMATCHED = "以下 {n} 人未能匹配{channel}账号："
ROSTER_ACCOUNT_LINE = "第{row}行 {name}（{staff_no}）：{reason}"
ROSTER_ACCOUNT_NO_PHONE = "没有填写账号，也没有手机号"
ROSTER_ACCOUNT_PHONE_UNKNOWN = "手机号 {phone} 在{channel}中找不到"
ROSTER_ACCOUNT_TAKEN = "账号“{value}”已属于另一名人员"
ROSTER_ACCOUNT_LOOKUP_FAILED = "向{channel}查询手机号失败，请稍后重新导入"
ROSTER_ACCOUNT_SYNONYMS = {
    "企业微信userid": "企业微信账号", "企业微信UserID": "企业微信账号", "企业微信ID": "企业微信账号", "企微账号": "企业微信账号",
    "钉钉userid": "钉钉账号", "钉钉UserID": "钉钉账号", "钉钉ID": "钉钉账号",
}
PLATFORM_PRIVATE_ONLY = "为保护个人信息，请在与学法助手的单聊中提问或查询记录"
