package console

import "maps"

// The strings of 站点与人员, 待处理记录 and 设置, merged into zh and en.
var zh2 = map[string]string{
	"nav_sites": "站点与人员", "sites_title": "站点与人员", "site_name": "站点名称", "site_id": "站点编号", "site_division": "区划代码",
	"site_supervisors": "站点管理员", "site_scanners": "扫码员", "site_active": "使用中", "site_inactive": "已停用", "site_edit": "编辑",
	"site_deactivate": "停用", "site_activate": "恢复", "site_none": "尚无站点。", "site_add": "新增站点", "site_edit_title": "编辑站点",
	"site_parent": "上级站点", "site_root": "（无：顶级站点）", "site_address": "站点地址", "site_contact": "负责人", "site_phone": "联系电话",
	"site_remarks": "备注", "site_save": "保存站点", "staff_add": "新增工作人员", "staff_phone": "手机号", "staff_name": "姓名",
	"staff_role": "角色", "staff_role_scanner": "扫码员", "staff_role_supervisor": "站点管理员", "staff_password": "初始密码（8 到 128 个字符）",
	"staff_add_button": "新增", "staff_transfer": "调至", "staff_deactivate": "停用",
	"sites_readonly": "只有运维和管理员可以更改站点与人员。", "err_site_form": "站点信息不完整或无效（编号、名称、地址、负责人、电话必填）。",
	"err_site_exists": "站点编号已存在。", "err_site_gone": "该站点不存在。", "err_site_parent": "上级站点不存在。",
	"err_site_cycle": "不能把站点移到它自己的下级。", "err_staff_form": "工作人员信息无效（手机号、姓名、角色、站点、8 到 128 个字符的密码）。",
	"err_staff_phone": "此手机号已有工作人员账号。", "err_staff_gone": "该工作人员不存在。",
	"nav_held": "待处理记录", "held_title": "待处理记录", "held_id": "记录编号", "held_kind": "类型", "held_device": "终端",
	"held_site": "站点", "held_staff": "工作人员", "held_created": "记录时间", "held_received": "收到时间", "held_reason": "暂存原因",
	"held_none": "没有待处理的记录。", "held_note": "处理说明", "held_accept": "接受", "held_reject": "拒绝", "held_export": "导出 CSV",
	"held_readonly": "只有运维和管理员可以处理暂存记录。", "notice_accepted": "记录已接受。", "notice_rejected": "记录已拒绝。",
	"err_held_gone": "该记录不存在或已处理。", "err_held_note": "请填写处理说明（最多 200 个字符）。", "held_more": "还有更多记录，处理后刷新可见。",
	"held_decided": "最近的处理", "held_decision": "处理", "held_operator": "处理人", "held_decided_at": "处理时间",
	"held_accepted": "已接受", "held_rejected": "已拒绝",
	"nav_settings": "设置", "settings_title": "设置", "set_rules": "判定阈值", "set_fever": "发热阈值（℃）", "set_min_c": "最低可信体温（℃）",
	"set_max_c": "最高可信体温（℃）", "set_county": "本县区划代码", "set_skew": "允许的时钟偏差（分钟）", "set_code_age": "健康码最长有效（小时）",
	"set_live_ttl": "动态码有效期（分钟）", "set_retention": "记录保留天数", "set_save": "保存设置",
	"set_pull": "更改将在各终端下次同步时生效。", "set_readonly": "只有管理员可以更改设置。",
	"err_settings": "设置无效：", "notice_settings": "设置已保存，各终端将在下次同步时收到。",
}

var en2 = map[string]string{
	"nav_sites": "Sites & staff", "sites_title": "Sites and staff", "site_name": "Site", "site_id": "Site id", "site_division": "Division",
	"site_supervisors": "Supervisors", "site_scanners": "Scanner staff", "site_active": "In use", "site_inactive": "Deactivated", "site_edit": "Edit",
	"site_deactivate": "Deactivate", "site_activate": "Reactivate", "site_none": "No sites yet.", "site_add": "Add a site", "site_edit_title": "Edit the site",
	"site_parent": "Parent site", "site_root": "(none: a root site)", "site_address": "Address", "site_contact": "Person in charge", "site_phone": "Phone",
	"site_remarks": "Remarks", "site_save": "Save the site", "staff_add": "Add staff", "staff_phone": "Mobile number", "staff_name": "Name",
	"staff_role": "Role", "staff_role_scanner": "Scanner staff", "staff_role_supervisor": "Supervisor", "staff_password": "First password (8 to 128 characters)",
	"staff_add_button": "Add", "staff_transfer": "Transfer to", "staff_deactivate": "Deactivate",
	"sites_readonly": "Only ops and admins may change sites and staff.", "err_site_form": "Incomplete or invalid site (id, name, address, person in charge and phone are required).",
	"err_site_exists": "A site with this id exists.", "err_site_gone": "No such site.", "err_site_parent": "The parent site does not exist.",
	"err_site_cycle": "A site cannot move below itself.", "err_staff_form": "Invalid staff (mobile number, name, role, site, a password of 8 to 128 characters).",
	"err_staff_phone": "This mobile number has a staff account already.", "err_staff_gone": "No such staff account.",
	"nav_held": "Held records", "held_title": "Held records", "held_id": "Record", "held_kind": "Kind", "held_device": "Kiosk",
	"held_site": "Site", "held_staff": "Staff", "held_created": "Made", "held_received": "Received", "held_reason": "Why held",
	"held_none": "No held records.", "held_note": "Note", "held_accept": "Accept", "held_reject": "Reject", "held_export": "Export CSV",
	"held_readonly": "Only ops and admins may decide held records.", "notice_accepted": "The record is accepted.", "notice_rejected": "The record is rejected.",
	"err_held_gone": "No such record, or it is decided already.", "err_held_note": "Write a note (at most 200 characters).", "held_more": "More records follow; reload after deciding these.",
	"held_decided": "Recent decisions", "held_decision": "Decision", "held_operator": "By", "held_decided_at": "When",
	"held_accepted": "Accepted", "held_rejected": "Rejected",
	"nav_settings": "Settings", "settings_title": "Settings", "set_rules": "Thresholds", "set_fever": "Fever from (°C)", "set_min_c": "Lowest believable temperature (°C)",
	"set_max_c": "Highest believable temperature (°C)", "set_county": "Local county division code", "set_skew": "Clock skew allowed (minutes)", "set_code_age": "Longest code age (hours)",
	"set_live_ttl": "Live code lifetime (minutes)", "set_retention": "Records kept (days)", "set_save": "Save the settings",
	"set_pull": "The change reaches kiosks on their next pull.", "set_readonly": "Only admins may change the settings.",
	"err_settings": "Invalid settings: ", "notice_settings": "Saved; kiosks get the change on their next pull.",
}

func init() {
	addStrings(zh2, en2)
}

// addStrings merges a page's strings into zh and en (page.New checks both have the same keys).
func addStrings(z, e map[string]string) {
	maps.Copy(zh, z)
	maps.Copy(en, e)
}
