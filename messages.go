package checkpoint

import (
	"errors"
	"strings"
)

// Message is a sentence for staff in Chinese and English. The strings here are the source of
// truth for the CLI; the UI's translation files start from them.
type Message struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Error kinds: the machine-readable names ErrorKind gives to the package's errors.
// They are part of the CLI's JSON contract.
const (
	kindNotOurs      = "not_ours"
	kindMalformed    = "malformed"
	kindUnknownKey   = "unknown_key"
	kindBadSignature = "bad_signature"
	kindExpired      = "expired"
	kindNotYetValid  = "not_yet_valid"
	kindRevoked      = "revoked"
	kindClockSkew    = "clock_skew"
	kindDistrusted   = "key_distrusted"
	kindUnknownCode  = "unknown_code"
	kindNoRevocation = "revocations_unavailable"
	kindIDLength     = "length"
	kindIDCharacter  = "character"
	kindIDDate       = "date"
	kindIDRegion     = "region"
	kindIDCheck      = "check"
	kindUnknown      = "unknown"
)

var errorKinds = []struct {
	err  error
	kind string
}{
	{ErrNotOurs, kindNotOurs},
	{ErrMalformed, kindMalformed},
	{ErrUnknownKey, kindUnknownKey},
	{ErrBadSignature, kindBadSignature},
	{ErrExpired, kindExpired},
	{ErrNotYetValid, kindNotYetValid},
	{ErrRevoked, kindRevoked},
	{ErrClockSkew, kindClockSkew},
	{ErrKeyDistrusted, kindDistrusted},
	{ErrUnknownCode, kindUnknownCode},
	{ErrRevocationsUnavailable, kindNoRevocation},
	{ErrIDLength, kindIDLength},
	{ErrIDCharacter, kindIDCharacter},
	{ErrIDDate, kindIDDate},
	{ErrIDRegion, kindIDRegion},
	{ErrIDCheck, kindIDCheck},
	{ErrPhone, "phone"},
	{ErrNameLength, "name_length"},
	{ErrNameCharacter, "name_character"},
	{ErrTempFormat, "temp_format"},
	{ErrTempImplausible, string(ReasonTempImplausible)},
}

// ErrorKind returns the kind of err ("expired", "check", ...): "" for nil, kindUnknown for an
// error that is none of this package's.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return kindUnknown
}

// messages maps error kinds, reason codes and outcomes to staff sentences.
var messages = map[string]Message{
	kindNotOurs:      {"不是本系统的健康码，请出示吉祥码", "not a Checkpoint health code, ask for the 吉祥码"},
	kindMalformed:    {"健康码无法识别（损坏或不完整），请重新扫描", "the code cannot be read (damaged or incomplete), scan again"},
	kindUnknownKey:   {"健康码的签发密钥不受信任：可能是伪造码，或本机信任列表过旧，请同步后重试", "the code's signing key is not trusted: possibly forged, or this kiosk's trust list is old; sync and retry"},
	kindBadSignature: {"健康码签名无效，已被篡改或伪造", "bad signature: the code was altered or forged"},
	kindExpired:      {"健康码已过期，请刷新后重新出示", "the code has expired, ask for a fresh one"},
	kindNotYetValid:  {"健康码尚未生效", "the code is not valid yet"},
	kindRevoked:      {"健康码已被撤销，请联系指挥部核实", "the code has been revoked, check with HQ"},
	kindClockSkew:    {"本机时钟可能不准，请校准时间后重新扫描", "this kiosk's clock looks wrong, set the time and scan again"},
	kindDistrusted:   {"此码的签发密钥已被指挥部停止信任（可能泄露），此码一律无效", "HQ has distrusted the key that signed this code (possibly compromised): the code is invalid"},
	kindUnknownCode:  {"指挥部没有此码的记录，可能是伪造码，请核实身份", "HQ does not know this code: it may be forged; check the person's identity"},
	kindNoRevocation: {"本机无法读取撤销名单，不能确认此码未被撤销，请同步后重试或人工复核", "this kiosk cannot read its revocation list, so the code cannot be confirmed as not revoked; sync and retry, or check by hand"},
	kindIDLength:     {"身份证号码应为18位", "an ID number has 18 characters"},
	kindIDCharacter:  {"身份证号码应为17位数字加1位数字或X", "an ID number is 17 digits and a digit or X"},
	kindIDDate:       {"身份证号码中的出生日期无效", "the birth date in the ID number is not valid"},
	kindIDRegion:     {"身份证号码的地区代码无效", "the region code of the ID number is not valid"},
	kindIDCheck:      {"身份证号码校验位不符，请核对是否输错", "the ID number's check character does not match, check for a typo"},
	kindUnknown:      {"发生未知错误", "unknown error"},
	"phone":          {"手机号码无效，应为11位大陆手机号", "not a valid 11-digit mainland mobile number"},
	"name_length":    {"姓名应为1至30个字", "a name has 1 to 30 characters"},
	"name_character": {"姓名只能包含汉字、拉丁字母、空格和·", "a name may hold only Chinese characters, Latin letters, spaces and ·"},
	"temp_format":    {"体温读数格式无效，例如 36.5", "not a temperature reading like 36.5"},

	string(ReasonCodeInvalid):         {"健康码无效", "invalid health code"},
	string(ReasonCodeRed):             {"红码：请引导至隔离点，联系防疫人员", "red code: take the person to the isolation point and call health staff"},
	string(ReasonCodeYellow):          {"黄码：请复核", "yellow code: refer for review"},
	string(ReasonHouseholdHighRisk):   {"户籍地在高风险地区", "household registration in a high-risk area"},
	string(ReasonHouseholdMediumRisk): {"户籍地在中风险地区，请留意", "household registration in a medium-risk area, take note"},
	string(ReasonLocalStayException):  {"已确认近一个月在本县居住且未去过高风险地区，准予通行", "confirmed: stayed in the county for the past month without visiting a high-risk area, may pass"},
	string(ReasonFever):               {"体温偏高（发热），请引导至隔离点复核", "fever: refer to the isolation point"},
	string(ReasonTempImplausible):     {"体温读数异常，请重新测量", "implausible temperature reading, measure again"},
	string(ReasonTempMissing):         {"尚未测量体温", "temperature not measured yet"},
	string(ReasonOfflineCheck):        {"离线核验，未向指挥部确认最新状态", "checked offline, live status not confirmed with HQ"},
	string(ReasonNoCode):              {"无健康码（辅助登记）", "no health code (assisted registration)"},
	string(ReasonStatusUnknownOffline): {"离线登记，无法向指挥部查询此人状态，请复核（联网后指挥部将再次核查）",
		"registered offline: the person's status could not be checked with HQ; refer for review (HQ re-checks it after sync)"},

	string(OutcomePass):     {"通行", "Pass"},
	string(OutcomeTurnBack): {"劝返", "Turn back"},
	string(OutcomeRefer):    {"复核", "Refer"},
	string(OutcomeInvalid):  {"无效", "Invalid"},
	"verified":              {"健康码核验通过", "health code verified"},
}

// MessageFor returns the staff message for an error kind, reason code or outcome; an unknown
// code gets the kindUnknown message.
func MessageFor(code string) Message {
	if m, ok := messages[code]; ok {
		return m
	}
	return messages[kindUnknown]
}

// joinMessages builds "label：s1；s2。" and "Label: s1; s2."
func joinMessages(label Message, ms []Message) Message {
	zh := make([]string, len(ms))
	en := make([]string, len(ms))
	for i, m := range ms {
		zh[i], en[i] = m.ZH, m.EN
	}
	return Message{
		ZH: label.ZH + "：" + strings.Join(zh, "；") + "。",
		EN: label.EN + ": " + strings.Join(en, "; ") + ".",
	}
}
