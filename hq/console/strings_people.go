package console

// The strings of 人员 (people.go, templates/people.html), merged into zh and en; they replace
// the page's first strings in strings.go where the keys are the same.
var zhPeople = map[string]string{
	"people_query": "身份证号、手机号、健康码编号或人员编号", "people_query_hint": "请完整输入；不提供人员列表，每次查找都记入审计日志。",
	"err_people_id": "身份证号或手机号格式不正确（身份证号须 18 位且校验位正确，手机号须 11 位）。",
	"people_codes":  "健康码记录", "people_codes_more": "共 %d 个，显示最近 %d 个。", "people_codes_none": "尚未签发健康码。",
	"code_id": "编号", "code_kind": "类型", "code_key": "签发密钥", "code_status": "颜色", "code_issued": "签发时间",
	"code_expires": "有效期至", "code_state": "状态", "code_kind_live": "动态码", "code_kind_printed": "打印码",
	"code_state_valid": "有效", "code_state_expired": "已过期", "code_state_revoked": "已作废", "code_revoke": "作废",
	"people_changes": "状态变更记录", "people_changes_none": "尚无状态变更记录。", "change_at": "时间", "change_from": "原状态",
	"change_to": "改为", "change_reason": "原因", "change_revoked": "作废健康码", "change_actor": "操作人",
	"people_card": "打印吉祥码卡片", "people_card_hint": "为没有手机的人员签发打印码（有效期 7 天，颜色为当前状态），下载 PDF 后打印；新码显示在健康码记录中。",
	"people_card_button": "打印吉祥码卡片", "err_card_no_key": "没有可用的签发密钥，请先在“签发密钥”页生成。",
	"err_card_claims": "此人的状态原因或姓名无法写入健康码，请重新设置状态后再打印。",
}

var enPeople = map[string]string{
	"people_query": "ID number, mobile number, code id or person id", "people_query_hint": "Type it in full: there is no list of people, and every look-up goes to the audit log.",
	"err_people_id": "Malformed ID or mobile number (an ID number has 18 characters and a right check digit, a mobile number 11 digits).",
	"people_codes":  "Codes", "people_codes_more": "%d in all; the newest %d shown.", "people_codes_none": "No code issued yet.",
	"code_id": "Code id", "code_kind": "Kind", "code_key": "Key", "code_status": "Colour", "code_issued": "Issued",
	"code_expires": "Valid until", "code_state": "State", "code_kind_live": "live", "code_kind_printed": "printed",
	"code_state_valid": "valid", "code_state_expired": "expired", "code_state_revoked": "revoked", "code_revoke": "Revoke",
	"people_changes": "Changes of status", "people_changes_none": "No change of status yet.", "change_at": "When", "change_from": "From",
	"change_to": "To", "change_reason": "Reason", "change_revoked": "Codes revoked", "change_actor": "By",
	"people_card": "Print a code card", "people_card_hint": "Issues a printed code (valid 7 days, the current colour) for someone without a phone, as a PDF to print; the new code shows in the codes list.",
	"people_card_button": "Print a code card", "err_card_no_key": "No issuing key valid now: create one on the Issuing keys page first.",
	"err_card_claims": "The person's reason or name cannot go into a code: set the status again, then print.",
}

func init() {
	addStrings(zhPeople, enPeople)
}
