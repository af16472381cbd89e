package console

// The strings of 总览's per-site rows and kiosk reports, and of 风险地区's kiosk list, merged
// into zh and en.
var zhOv = map[string]string{
	"ov_today": "今日", "ov_totals": "累计", "ov_kiosks_online": "在线终端", "ov_online_hint": "10 分钟内同步过",
	"ov_turned_back_today": "今日劝返", "ov_review_today": "今日复核", "ov_fevers_today": "今日发热",
	"ov_registrations_today": "今日辅助登记", "ov_pending": "待上传", "ov_pending_hint": "终端上报的待上传记录",
	"ov_quarantined": "终端待核", "ov_quarantined_hint": "被总部退回、等待站点管理员处理", "ov_refused_kiosks": "拒收配置的终端",
	"ov_held_link": "去处理", "ov_sites": "各站点", "ov_turned_back": "劝返", "ov_review": "复核", "ov_fevers": "发热",
	"ov_no_sites": "尚无站点数据。", "ov_refused_title": "拒收配置的终端", "ov_refused_count": "拒收次数", "ov_refusal": "最近原因",
	"ov_refused_none": "没有终端拒收配置。", "ov_online": "在线", "ov_online_yes": "在线", "ov_online_no": "离线",
	"ov_version": "软件版本", "ov_unknown": "—", "ov_last_seen": "最近同步",
	"refusal_bad_signature": "签名无效（内容被篡改）", "refusal_wrong_device": "配置是发给另一台设备的",
	"refusal_wrong_name": "配置名称与签名不符", "refusal_old_version": "配置版本比终端已有的旧（重放）",
	"refusal_unknown_root": "不是由终端登记时的总部根密钥签发", "refusal_bad_root_link": "根密钥更换记录未经原根密钥签名",
	"refusal_malformed": "配置格式无法识别", "refusal_invalid_data": "配置内容无效", "refusal_other": "配置被拒绝",
	"risk_rollout": "下发情况", "risk_rollout_have": "已有当前版本（第 %d 版）的终端：%d / %d 台在用终端",
	"risk_rollout_all": "所有在用终端都已有当前版本。", "risk_rollout_hint": "终端在下次同步时取得新版本，再下一次同步时向总部确认。",
	"risk_missing": "尚未取得当前版本的终端", "risk_missing_state": "状态", "risk_sent": "已下发，待终端确认",
	"risk_behind": "尚未取得", "risk_never": "从未同步",
}

var enOv = map[string]string{
	"ov_today": "Today", "ov_totals": "In all", "ov_kiosks_online": "Kiosks online", "ov_online_hint": "synced in the last 10 minutes",
	"ov_turned_back_today": "Turned back today", "ov_review_today": "Referred today", "ov_fevers_today": "Fevers today",
	"ov_registrations_today": "Registrations today", "ov_pending": "Pending", "ov_pending_hint": "records waiting on the kiosks, as reported",
	"ov_quarantined": "Quarantined", "ov_quarantined_hint": "refused by HQ, waiting for the site supervisor", "ov_refused_kiosks": "Kiosks that refused a dataset",
	"ov_held_link": "Review", "ov_sites": "Sites", "ov_turned_back": "Turned back", "ov_review": "Referred", "ov_fevers": "Fevers",
	"ov_no_sites": "No site data yet.", "ov_refused_title": "Kiosks that refused a dataset", "ov_refused_count": "Refusals", "ov_refusal": "Last reason",
	"ov_refused_none": "No kiosk has refused a dataset.", "ov_online": "Online", "ov_online_yes": "online", "ov_online_no": "offline",
	"ov_version": "Version", "ov_unknown": "—", "ov_last_seen": "Last sync",
	"refusal_bad_signature": "signature invalid (content altered)", "refusal_wrong_device": "dataset was made for another device",
	"refusal_wrong_name": "dataset name does not match its signature", "refusal_old_version": "older than the one held (replay)",
	"refusal_unknown_root": "not signed by the HQ root pinned at enrollment", "refusal_bad_root_link": "root rotation not signed by the trusted root",
	"refusal_malformed": "dataset malformed", "refusal_invalid_data": "dataset content invalid", "refusal_other": "dataset refused",
	"risk_rollout": "Rollout", "risk_rollout_have": "Kiosks holding the current version (%d): %d of %d active kiosks",
	"risk_rollout_all": "Every active kiosk holds the current version.", "risk_rollout_hint": "A kiosk gets a new version on its next sync and confirms it to HQ on the one after.",
	"risk_missing": "Kiosks without the current version", "risk_missing_state": "State", "risk_sent": "sent, not yet confirmed",
	"risk_behind": "not yet received", "risk_never": "never synced",
}

func init() {
	addStrings(zhOv, enOv)
}
