// Package sms sends the verification codes of 吉事办 and the kiosk's 辅助登记 through an SMS
// gateway: Aliyun (dysmsapi), Tencent Cloud (sms) or log (the default; a masked line, and in
// demo mode an outbox the demo pages read).
//
// Every sender logs the phone masked (138****5678) and never the code; no error or log line
// carries a secret, and a provider's own text is quoted with every run of six or more digits
// replaced by ***. A provider's flow control (per phone, per day, the API's throttling) is
// ErrProviderLimited, wrapped with the provider's code; every other failure is a plain error.
// Each message is one request with no retry (a retry could deliver the same code twice).
//
// Aliyun's SDK (dysmsapi v5, signature V3: action and version in x-acs-* headers) takes no
// context and puts the phone and the template parameter in the query string: Send returns when
// its context ends while the request runs on, bounded by the config's Timeout; errors quote no
// URL; and HQ must never run with DEBUG=tea (the SDK would print every URL). Tencent's SDK
// (API 3.0, TC3-HMAC-SHA256, JSON body) takes the context.
//
// The SMS text is 【吉事办】您的验证码为123456，5分钟内有效。请勿泄露。: the Aliyun template gets
// {"code":"123456"} (its variable ${code}), the Tencent template the parameters
// ["123456","5"] ({1} the code, {2} the minutes).
//
// # Environment (FromEnv)
//
// Kind aliyun:
//
//	CHECKPOINT_SMS_ALIYUN_ACCESS_KEY_ID      required: AccessKey ID
//	CHECKPOINT_SMS_ALIYUN_ACCESS_KEY_SECRET  required: AccessKey secret
//	CHECKPOINT_SMS_ALIYUN_SIGN_NAME          required: 短信签名, e.g. 吉事办
//	CHECKPOINT_SMS_ALIYUN_TEMPLATE_CODE      required: template code, e.g. SMS_123456789
//	CHECKPOINT_SMS_ALIYUN_ENDPOINT           optional: host[:port] or http(s)://host[:port];
//	                                         default dysmsapi.aliyuncs.com over HTTPS
//
// Kind tencent:
//
//	CHECKPOINT_SMS_TENCENT_SECRET_ID    required: SecretId
//	CHECKPOINT_SMS_TENCENT_SECRET_KEY   required: SecretKey
//	CHECKPOINT_SMS_TENCENT_APP_ID       required: SmsSdkAppId, e.g. 1400006666
//	CHECKPOINT_SMS_TENCENT_SIGN_NAME    required: 短信签名, e.g. 吉事办
//	CHECKPOINT_SMS_TENCENT_TEMPLATE_ID  required: template ID, e.g. 1234567
//	CHECKPOINT_SMS_TENCENT_REGION       optional: default ap-guangzhou
//	CHECKPOINT_SMS_TENCENT_ENDPOINT     optional: host[:port] or http(s)://host[:port];
//	                                    default sms.tencentcloudapi.com over HTTPS
//
// Kind log (or empty) reads nothing. Values are trimmed and at most 512 bytes; an unset or
// empty required variable fails with a *MissingEnvError naming every one missing.
package sms
