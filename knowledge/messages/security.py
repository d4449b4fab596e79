"""Messages of the second security round (issue 17): binding, limits, passwords, uploads."""

START_PRIVATE_ONLY = "邀请码只能在与我的私聊中使用：点开我的头像，私聊发送 /start 邀请码。群里发送的邀请码不会被使用，仍然有效。"

FIELD_TOO_LONG = "{field}太长：最多 {n} 个字，现在有 {got} 个字。请删减后重新提交。"
FIELD_TITLE = "标题"
FIELD_LAWS = "学习内容"
FIELD_MINUTES = "纪要"
FIELD_ATTENDEES = "参加人员"
FIELD_NAME = "姓名"
FIELD_UNIT = "单位"
FIELD_QUESTION = "问题"
FIELD_STEM = "题干"
FIELD_OPTION = "选项"
FIELD_EXPLANATION = "解析"
FIELD_CITATION = "出处"

WEB_PASSWORD_GUESSABLE = (
    "密码容易被猜中：常用密码（如 password、12345678a）、键盘顺序（如 qwerty、1qaz2wsx）、"
    "单词或本系统名称加数字（如 xuefa123）、姓名和单位都在破解字典里。"
    "请换一个更长、更没有规律的密码，例如三四个不相关的词或一句话的首字母，再加数字和符号。"
)

WEB_AUDIT_LOCKOUT = "工号 {staff_no} · {address} · {scope}锁定 {minutes} 分钟"
WEB_LOCKOUT_PAIR = "该工号在此地址"
WEB_LOCKOUT_ADDRESS = "此地址的密码登录"
WEB_TELEGRAM_NEEDS_PASSWORD = "您的账号可以查看他人的记录：生成 Telegram 绑定码前请输入当前密码。"
WEB_TELEGRAM_PASSWORD = "当前密码"

AUDIT_SESSION = "集体学法 #{id} · {date} · {unit} · {n} 人"

XLSX_PART_TOO_LARGE = "表格中的“{part}”解压后超过 {mb} MB，未导入；请删去无关的工作表和格式后另存再上传"
XLSX_ROW_TOO_WIDE = "表格的一行超过 {n} 个单元格（可能整行设置了格式），未导入；请只保留需要的列，另存后再上传"
XLSX_TOO_COMPLEX = "表格的结构过于复杂（元素过多），未导入；请只保留需要的行和列，另存为新文件后再上传"

FORGET_FILES = (
    "已删除导出目录（{folder}）中含有此人的 {n} 个文件（统计表、学法记录、个人数据导出）；"
    "导出到其他位置或已发出的文件请自行删除。"
)
