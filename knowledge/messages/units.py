"""Units as a tree, the typo guard of imports, the roster template and per-person invite codes."""

UNITS_COL_UNIT = "单位"
UNITS_COL_PARENT = "上级单位"
ROSTER_PARENT_COLUMN = "上级单位"
UNIT_LOOP = "单位层级出现循环：{units}"
UNIT_TOO_DEEP = "单位“{unit}”的层级超过 {depth} 级，请检查上级单位"
UNIT_OWN_PARENT = "单位“{unit}”不能是自己的上级单位"
UNIT_DUPLICATE = "单位“{unit}”与第{row}行重复"
UNITS_EMPTY = "单位文件中没有任何单位"
UNIT_PARENT_CONFLICT = "单位“{unit}”的上级单位与第{row}行不一致（“{parent}”与“{other}”）"
UNITS_NEW_HEAD = "本次导入将新建 {n} 个单位，未导入任何数据："
UNIT_NEW = "· 新单位“{unit}”"
UNIT_NEW_CLOSE = "· 新单位“{unit}”——与已有单位 {close} 相近，是否写错？"
UNITS_CONFIRM_CLI = "如确为新单位，请加上 --new-units 重新导入；如是写错，请改正后再导入。"
UNITS_CONFIRM_WEB = "如确为新单位，请勾选“确认新建单位”后重新上传；如是写错，请改正后再上传。"
UNITS_CONFIRM_CHAT = "如确为新单位，请在文件说明中写“新单位”后重新发送；如是写错，请改正后再发送。"
NEW_UNITS_WORDS = ("新单位", "new-units")
UNITS_IMPORTED = "单位层级已更新：{n} 个单位"
UNITS_NONE = "还没有任何单位"
OPT_NEW_UNITS = "允许本次导入新建单位（默认：名册中出现新单位时拒绝导入，并列出相近的已有单位）。"
HELP_ROSTER_UNITS = "查看单位层级；给出文件（列：单位、上级单位）时导入单位层级。"
OPT_STATS_LEVEL = "分级汇总到第几级单位（1 为最上级；默认为所选单位的下一级）。"
ROLLUP_OWN = "{unit}（本级）"
STATS_ROLLUP = "分级汇总（参与率 / 通过率）："
XLSX_SHEET_ROLLUP = "分级汇总"
XLSX_ROLLUP_TITLE = "分级汇总　{period}　{unit}"
WEB_UPLOAD_NEW_UNITS = "确认新建单位（名册中有新的单位名称时需勾选）"
WEB_ROLLUP_TITLE = "分级汇总"
ROSTER_MISSING_COLUMNS = "缺少列：{columns}。名册应有列：姓名、工号、单位、角色（可选：手机、上级单位）；也认得 名字、编号、学校、电话 等写法"
ROSTER_TEMPLATE_NAME = "名册模板.xlsx"
ROSTER_TEMPLATE_TITLE = "名册"
ROSTER_TEMPLATE_EXAMPLE = [
    ["张三", "T001", "城关一小", "教师", "13800000000", "城关镇中心学校"],
    ["李四", "T002", "城关一小", "单位管理员", "", "城关镇中心学校"],
    ["王五", "Z001", "城关镇中心学校", "单位管理员", "", ""],
]
ROSTER_TEMPLATE_NOTES = [
    "填写说明：第一行为列名，请勿修改；每人一行。",
    "姓名、工号、单位、角色 必填；手机、上级单位 可不填。",
    "角色：教师、单位管理员、局管理员、领导。",
    "上级单位：该单位所属的学区或中心学校（如 村小 → 中心学校），可多级；不填则为最上级单位。",
    "名册中出现系统里没有的单位时，导入会先列出与之相近的已有单位，请确认不是写错。",
]
HELP_ROSTER_TEMPLATE = "生成名册模板（Excel），含列名、示例和填写说明。"
ROSTER_TEMPLATE_WRITTEN = "已生成名册模板：{path}"
WEB_ROSTER_TEMPLATE = "下载名册模板"
ROSTER_PARENT_FORBIDDEN = "单位管理员不能更改本单位（{unit}）的上级单位"
UNIT_LEVEL_BAD = "汇总层级 {level} 不正确：应为 1 到 {depth}"
ROSTER_TEMPLATE_NOTES_TITLE = "填写说明"
BIND_REPLACED_CODE = "该邀请码已被新的邀请码取代，请使用最新发放的邀请码；如没有收到，请联系本单位管理员"
OPT_CODES_MEMBER = "只为这一人（工号）重新发放邀请码，其他人的邀请码不受影响（已登录或已绑定的也发放）。"
OPT_CODES_OUT = "写入 CSV 文件（UTF-8 带 BOM，Excel 可直接打开；仅本人可读）；不给则输出到屏幕。"
CODES_WRITTEN = "已写入 {n} 个邀请码：{path}（仅本人可读，用完请删除）"
WEB_CODES_MEMBER = "只为一人重新发放（工号，可不填）"
WEB_CODES_MEMBER_UNKNOWN = "没有找到工号为“{staff_no}”的在册人员"
WEB_CODES_QR = "扫码登录"
