package console

// The strings of 签发密钥's root key chain and of 终端's version and epoch columns, merged into zh and en.
var zhKeys = map[string]string{
	"root_title": "根密钥", "root_seq": "序号", "root_id": "指纹（终端据此校验）", "root_created": "启用时间", "root_current": "当前",
	"root_earlier": "已轮换", "root_none": "尚无根密钥。",
	"dev_version": "软件版本", "dev_epoch": "总部纪元", "dev_epoch_current": "（当前）", "dev_epoch_old": "旧纪元：总部已从备份恢复，终端下次同步时重置并重发",
	"root_rotate_hint": "根密钥的私钥不进数据库，也不经网页：轮换时先停止 HQ，在服务器上执行 hq root rotate --db … --root-key 旧密钥文件 --new-key 新密钥文件（新密钥文件不存在时自动生成），再用新密钥文件启动 hq serve。旧密钥文件请保留到所有终端都同步过一次。旧根密钥为新根密钥签名，终端在下次同步时沿此链接受新根密钥，无需重新登记。",
}

var enKeys = map[string]string{
	"root_title": "Root key", "root_seq": "No.", "root_id": "Fingerprint (what kiosks verify against)", "root_created": "In force since",
	"root_current": "current", "root_earlier": "rotated out", "root_none": "No root key yet.",
	"dev_version": "Version", "dev_epoch": "HQ epoch", "dev_epoch_current": "(current)", "dev_epoch_old": "old epoch: HQ was restored from a backup; the kiosk resets and resends on its next sync",
	"root_rotate_hint": "The root private key never enters the database or a web page: to rotate it, stop HQ, run hq root rotate --db … --root-key OLD-FILE --new-key NEW-FILE on the server (the new file is made if missing), then start hq serve with the new key file. Keep the old file until every kiosk has synced once. The old root signs the new one, and kiosks follow that link on their next sync, without enrolling again.",
}

func init() {
	addStrings(zhKeys, enKeys)
}
