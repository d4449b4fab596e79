"""Messages of the 法治副校长 reviewer queue: roles, the queue, answers, feedback, notices, reports."""

ROLE_REVIEWER = "法治副校长"
REVIEW_BUREAU = "全局（法规安全科）"
REVIEW_AT_BUREAU = "局法规安全科"
REVIEW_AT_UNIT = "本单位"
REVIEW_REASONS = {
    "unsure": "未能确定",
    "outside": "学法清单未涉及",
    "not_covered": "法规库未收录",
    "not_solved": "提问人反馈没有解决",
    "asked": "提问人请法治副校长解答",
    "law_changed": "所引条文已修改或删除",
}
REVIEW_STATUS = {
    "waiting": "等待解答",
    "answered": "已解答",
    "duplicate": "重复问题",
    "out_of_scope": "不属于解答范围",
    "missing_law": "缺少法规，已报教育局",
}
REVIEW_LINE = "{id}\t{at}\t{unit}（{where}）\t{reason}\t{question}{remark}"
REVIEW_REMARK = "\t补充：{remark}"
REVIEW_LIST_EMPTY = "目前没有等待解答的问题。"
REVIEW_LIST_HEAD = "等待解答的问题（{n} 个，不显示提问人）："
REVIEW_NOT_REVIEWER = "只有法治副校长（解答人）和局管理员可以查看待解答问题。"
REVIEW_OTHER_UNIT = "您只能查看所负责单位（{units}）的问题。"
REVIEW_NO_ENTRY = "没有编号为 {id} 的待解答问题（或不在您负责的单位）。"
REVIEW_CLOSED_ALREADY = "问题 {id} 已处理（{status}），不能再次处理。"
REVIEW_REVEAL_BUREAU_ONLY = "只有局管理员可以查看提问人；查看会记入审计日志。"
REVIEW_REVEALED = "问题 {id} 的提问人：{name}（{unit}，{staff_no}）。本次查看已记入审计日志。"
REVIEW_REVEALED_NONE = "问题 {id} 的提问人已删除或不在名册中。"
REVIEW_UNKNOWN_UNIT = "名册中没有单位“{unit}”。"
REVIEW_ANSWER_EMPTY = "解答内容不能为空。"
REVIEW_NEEDS_CITATION = "请至少引用一条法条（如 --cite 教师法第八条），解答会逐条附上原文。"
REVIEW_CITATION_BAD = "引用“{cite}”无法核对：{reason}。解答未保存，请改正引用后重新提交。"
REVIEW_NO_PAIR = "没有编号为 {id} 的已解答问题，无法标记为重复。"
REVIEW_NEEDS_REASON = "标记为“不属于解答范围”时请写明理由，理由会告知提问人。"
REVIEW_NEEDS_LAW = "请写明缺少的法规名称，供教育局导入。"
REVIEW_ANSWERED = "问题 {id} 已解答并加入已解答问题库（编号 {pair}），引用：{labels}。提问人会收到通知。"
REVIEW_CLOSED = "问题 {id} 已标记为：{status}。提问人会收到通知。"
REVIEW_ASSIGNED = "{name}（{staff_no}）现为以下范围的法治副校长（解答人）：{units}。"
REVIEW_UNASSIGNED = "已取消 {name}（{staff_no}）的 {n} 项解答范围。"
REVIEW_REVIEWERS_LINE = "{name}（{staff_no}，{member_unit}）\t{unit}\t{source}"
REVIEW_SOURCES = {"roster": "名册", "assigned": "局指派"}
REVIEW_NONE_REVIEWERS = "还没有法治副校长（解答人）。名册中角色填“法治副校长”，或用 xuefa review assign 指派。"
REVIEW_ESCALATED = "{n} 个等待超过 {days} 天的问题已转交局法规安全科。"
REVIEW_MISSING_LINE = "《{law}》\t{n} 个问题"
REVIEW_MISSING_NONE = "没有待导入的法规。"
REVIEW_RECHECKED = "{n} 条已解答问题的引用条文已修改或删除，已退回待解答队列。"
REVIEW_CITATION_REMOVED = "所引{label}已从法规库删除"
REVIEW_CITATION_CHANGED = "所引{label}的内容已修改"
REVIEW_USAGE_CHAT = "用法：/review 查看待解答问题；/answer 编号 解答内容（在解答中写明所引条文，如《教师法》第八条）"
REVIEW_CHAT_NO_CITATION = "解答中没有找到引用的法条。请写明条文，如“根据《教师法》第八条……”。"

# What the asker sees.
REVIEWED_MARK = "【经法治副校长解答】"
REVIEWED_QUESTION = "相近的已解答问题：{question}"
REVIEWED_ARTICLE = "{label}\n{text}"
REVIEWED_CITED = "所引条文原文："
REVIEW_QUEUED = "这个问题已转给本单位法治副校长，解答后会通知您。"
REVIEW_SENT_ON = "已转给本单位法治副校长解答，解答后会通知您。"
REVIEW_ALREADY_QUEUED = "这个问题已在等待法治副校长解答，解答后会通知您。"
FEEDBACK_HELPFUL = "有帮助"
FEEDBACK_NOT_SOLVED = "没有解决"
FEEDBACK_ASK_REVIEWER = "请法治副校长解答"
FEEDBACK_THANKS = "谢谢您的反馈！"
FEEDBACK_QUEUED = "谢谢反馈，已转给法治副校长解答。如需补充说明，请发送“补充：……”。"
FEEDBACK_REMARK_SAVED = "补充说明已转给法治副校长。"
FEEDBACK_REMARK_NONE = "没有等待解答的问题可以补充。"
FEEDBACK_REMARK_PREFIXES = ("补充：", "补充:")

# Notices (sent by the scheduler on each person's channel).
REVIEW_DIGEST_TITLE = "待解答的法律问题"
REVIEW_DIGEST_TEXT = "您负责的单位有 {n} 个问题等待解答（新增 {new} 个，已等待超过 {days} 天 {overdue} 个，将转交局法规安全科）。提问人不会显示。"
REVIEW_DIGEST_BUTTON = "去解答"
REVIEW_NOTICE_TITLE = "您的问题有了答复"
REVIEW_NOTICE_HEAD = "您问过：{question}"
REVIEW_NOTICE_OUT_OF_SCOPE = "法治副校长答复：这个问题不属于学法助手的解答范围。理由：{reason}"
REVIEW_NOTICE_MISSING_LAW = "法治副校长答复：解答这个问题需要《{law}》，已报请教育局导入法规库，导入后可以查询。"

# Reports.
REVIEW_REPORT_HEAD = "【提问与解答统计】{since} 至 {until}"
REVIEW_REPORT_SHARES = "共 {asked} 个问题：学法助手直接解答 {by_xuefa}，法治副校长解答 {by_reviewers}，等待解答 {waiting}，其他处理 {closed_other}"
REVIEW_REPORT_MEDIAN = "法治副校长解答用时中位数：{median}"
REVIEW_REPORT_MEDIAN_NONE = "法治副校长解答用时中位数：—（还没有解答）"
REVIEW_REPORT_DAYS = "{days:.1f} 天"
REVIEW_REPORT_UNIT_LINE = "{unit}\t{topic}\t{n}"
REVIEW_REPORT_TOPICS = "最常问的主题："
REVIEW_REPORT_TOPIC_LINE = "{rank}. {topic}\t{n} 个问题"
REVIEW_TOPIC_OTHER = "其他"
REVIEW_UNIT_NONE = "（未登记单位）"
REVIEW_XLSX_TOPICS = "高频问题主题"
REVIEW_XLSX_UNITS = "各单位提问"
REVIEW_XLSX_TOPIC_HEAD = ("排名", "主题（法规）", "提问数", "法治副校长解答数")
REVIEW_XLSX_UNIT_HEAD = ("单位", "主题（法规）", "提问数")
REVIEW_XLSX_SAVED = "已保存：{path}"

# The command line.
HELP_REVIEW = "法治副校长解答队列：查看、解答、指派解答人、统计"
HELP_REVIEW_LIST = "列出等待解答的问题（每行以编号开头，不显示提问人）"
HELP_REVIEW_ANSWER = "解答一个问题：--text 解答内容，--cite 引用的条文（可多次）"
HELP_REVIEW_CLOSE = "把问题标记为重复（--duplicate 已解答编号）、不属于解答范围（--out-of-scope 理由）或缺少法规（--missing-law 法规名）"
HELP_REVIEW_ASSIGN = "局管理员指派解答人：--unit 单位（可多次），或 --bureau 全局"
HELP_REVIEW_UNASSIGN = "取消指派的解答范围（不指定 --unit 则全部取消）"
HELP_REVIEW_REVIEWERS = "列出法治副校长（解答人）及其负责范围"
HELP_REVIEW_REVEAL = "局管理员查看提问人（记入审计日志）"
HELP_REVIEW_ESCALATE = "把等待超过规定天数的问题转交局法规安全科"
HELP_REVIEW_NOTIFY = "生成通知（给解答人的每日汇总、给提问人的答复），打印到标准输出"
HELP_REVIEW_MISSING = "列出解答人报告缺少的法规"
HELP_REVIEW_REPORT = "提问与解答统计；--xlsx 保存高频问题主题表（普法工作总结用）"
HELP_REVIEW_RECHECK = "重新核对已解答问题的引用条文（导入法规后会自动执行）"
HELP_REVIEW_EXPORT_EVAL = "把已解答问题导出为带标注的问题（JSON Lines），可用 xuefa eval 评测、用 bench/calibrate.py 重新校准"
REVIEW_EXPORTED_EVAL = "已导出 {n} 个带标注的问题：{path}（xuefa eval {path}）"
OPT_REVIEW_UNIT = "单位"
OPT_REVIEW_AS = "以某位名册成员（工号）的身份操作"
OPT_REVIEW_TEXT = "解答内容（用自己的话）"
OPT_REVIEW_CITE = "引用的条文，如 教师法第八条（可多次）"
OPT_REVIEW_BUREAU = "负责全局（法规安全科）"

# The web reviewer page.
WEB_NAV_REVIEW = "待解答"
WEB_REVIEW_TITLE = "待解答问题"
WEB_REVIEW_HINT = "提问人不会显示。请用自己的话解答，并写明所引条文；每条引用都会与法规库核对并附上原文，无法核对的引用不会保存。"
WEB_REVIEW_ENTRY = "问题 {id}"
WEB_REVIEW_TEXT = "解答"
WEB_REVIEW_CITES = "引用条文（如：教师法第八条、义务教育法第二十九条）"
WEB_REVIEW_SUBMIT = "提交解答"
WEB_REVIEW_OTHER = "其他处理"
WEB_REVIEW_ACTION = "处理方式"
WEB_REVIEW_NOTE = "理由或缺少的法规名称"
WEB_REVIEW_PAIR = "重复时：已解答问题的编号"
WEB_REVIEW_CLOSE = "确认"
WEB_QUESTIONS_TITLE = "提问与解答"
WEB_QUESTIONS_DOWNLOAD = "下载高频问题主题（Excel）"
REVIEW_XLSX_FILE = "高频问题主题_{period}.xlsx"
