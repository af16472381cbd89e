package console

// The strings of 操作员 and of the kiosk succession on 终端, merged into zh and en.
var zhOps = map[string]string{
	"dev_succeeded_by": "已由", "dev_succeeded_tail": "接替",
	"nav_operators": "操作员", "op_title": "操作员", "op_name": "用户名", "op_role": "角色", "op_state": "状态", "op_totp": "已绑定验证器",
	"op_last_login": "最近登录", "op_created": "创建时间", "op_you": "（您）", "op_role_save": "更改", "op_reset": "重置",
	"op_disable": "停用", "op_enable": "恢复", "op_yes": "是", "op_no": "否", "op_until": "至",
	"op_state_ready": "可用", "op_state_pending": "待设置", "op_state_expired": "设置链接已过期", "op_state_inactive": "已停用",
	"op_add": "新增操作员", "op_add_button": "新增并生成设置链接", "op_name_hint": "2 到 32 个字符：小写字母、数字、. _ -，以字母开头。",
	"op_link": "一次性设置链接", "op_link_until": "有效至", "op_link_once": "只显示这一次，请当面或通过可靠渠道交给本人；对方用它设置密码并绑定验证器。",
	"op_hint":         "重置会清除密码和验证器、结束其所有会话，并生成新的设置链接；停用立即结束其会话。最近登录精确到验证码的 30 秒时段。",
	"notice_op_saved": "已保存。", "err_op_name": "用户名无效：2 到 32 个字符，小写字母、数字、. _ -，以字母开头。",
	"err_op_role": "请选择角色：管理员、卫健、运维或只读。", "err_op_exists": "该用户名已存在；如需新的设置链接，请重置该操作员。",
	"err_op_gone": "该操作员不存在。", "err_op_last_admin": "不能停用、降级或重置最后一位可用的管理员：请先新增另一位管理员并完成设置。",
}

var enOps = map[string]string{
	"dev_succeeded_by": "Succeeded by", "dev_succeeded_tail": "",
	"nav_operators": "Operators", "op_title": "Operators", "op_name": "Name", "op_role": "Role", "op_state": "State", "op_totp": "Authenticator",
	"op_last_login": "Last login", "op_created": "Created", "op_you": "(you)", "op_role_save": "Change", "op_reset": "Reset",
	"op_disable": "Disable", "op_enable": "Enable", "op_yes": "yes", "op_no": "no", "op_until": "until",
	"op_state_ready": "Ready", "op_state_pending": "Setup pending", "op_state_expired": "Setup link expired", "op_state_inactive": "Disabled",
	"op_add": "Add an operator", "op_add_button": "Add and make a setup link", "op_name_hint": "2 to 32 of a-z 0-9 . _ -, starting with a letter.",
	"op_link": "One-time setup link", "op_link_until": "Valid until", "op_link_once": "Shown this once: hand it to the person in person or over a trusted channel; they set a password and enrol an authenticator with it.",
	"op_hint":         "Reset clears the password and authenticator, ends every session and makes a new setup link; disabling ends the sessions at once. Last login is to the 30 s step of the authenticator code.",
	"notice_op_saved": "Saved.", "err_op_name": "Invalid name: 2 to 32 of a-z 0-9 . _ -, starting with a letter.",
	"err_op_role": "Choose a role: admin, health, ops or viewer.", "err_op_exists": "This name exists; reset that operator for a new setup link.",
	"err_op_gone": "No such operator.", "err_op_last_admin": "The last usable admin cannot be disabled, demoted or reset: add another admin and let them finish setup first.",
}

func init() {
	addStrings(zhOps, enOps)
	notices["op_saved"] = "notice_op_saved"
}
