package sms

import (
	"fmt"
	"log/slog"
	"strings"
)

// Environment variables of FromEnv (see the package comment).
const (
	EnvAliyunAccessKeyID     = "CHECKPOINT_SMS_ALIYUN_ACCESS_KEY_ID"
	EnvAliyunAccessKeySecret = "CHECKPOINT_SMS_ALIYUN_ACCESS_KEY_SECRET"
	EnvAliyunSignName        = "CHECKPOINT_SMS_ALIYUN_SIGN_NAME"
	EnvAliyunTemplateCode    = "CHECKPOINT_SMS_ALIYUN_TEMPLATE_CODE"
	EnvAliyunEndpoint        = "CHECKPOINT_SMS_ALIYUN_ENDPOINT"

	EnvTencentSecretID   = "CHECKPOINT_SMS_TENCENT_SECRET_ID"
	EnvTencentSecretKey  = "CHECKPOINT_SMS_TENCENT_SECRET_KEY"
	EnvTencentAppID      = "CHECKPOINT_SMS_TENCENT_APP_ID"
	EnvTencentSignName   = "CHECKPOINT_SMS_TENCENT_SIGN_NAME"
	EnvTencentTemplateID = "CHECKPOINT_SMS_TENCENT_TEMPLATE_ID"
	EnvTencentRegion     = "CHECKPOINT_SMS_TENCENT_REGION"
	EnvTencentEndpoint   = "CHECKPOINT_SMS_TENCENT_ENDPOINT"
)

// maxEnvValue bounds every variable FromEnv reads.
const maxEnvValue = 512

// MissingEnvError is FromEnv's refusal when required variables are unset or empty.
type MissingEnvError struct {
	Kind  string
	Names []string // in the order of the package comment
}

func (e *MissingEnvError) Error() string {
	n := strings.Join(e.Names, ", ")
	return fmt.Sprintf("sms: 短信服务商 %s 缺少环境变量 %s / SMS provider %s needs environment variable(s) %s", e.Kind, n, e.Kind, n)
}

// FromEnv builds the Sender of kind "aliyun", "tencent" or "log" ("" is "log") from the
// environment read through getenv. logger gets the senders' masked lines; outbox is the log
// sender's demo outbox (nil outside demo mode; ignored by the providers). A missing required
// variable is a *MissingEnvError naming every one missing; no error quotes a secret.
func FromEnv(kind string, getenv func(string) string, logger *slog.Logger, outbox *Outbox) (Sender, error) {
	if logger == nil {
		logger = slog.Default()
	}
	var missing []string
	var tooLong []string
	get := func(name string, required bool) string {
		v := strings.TrimSpace(getenv(name))
		if len(v) > maxEnvValue {
			tooLong = append(tooLong, name)
			return ""
		}
		if v == "" && required {
			missing = append(missing, name)
		}
		return v
	}
	check := func() error {
		if len(tooLong) > 0 {
			n := strings.Join(tooLong, ", ")
			return fmt.Errorf("sms: 环境变量过长 %s（上限 %d 字节） / environment variable(s) too long: %s (at most %d bytes)", n, maxEnvValue, n, maxEnvValue)
		}
		if len(missing) > 0 {
			return &MissingEnvError{Kind: kind, Names: missing}
		}
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "", "log":
		return NewLog(logger, outbox), nil
	case "aliyun":
		kind = "aliyun"
		cfg := AliyunConfig{
			AccessKeyID:     get(EnvAliyunAccessKeyID, true),
			AccessKeySecret: get(EnvAliyunAccessKeySecret, true),
			SignName:        get(EnvAliyunSignName, true),
			TemplateCode:    get(EnvAliyunTemplateCode, true),
			Endpoint:        get(EnvAliyunEndpoint, false),
			Logger:          logger,
		}
		if err := check(); err != nil {
			return nil, err
		}
		return NewAliyun(cfg)
	case "tencent":
		kind = "tencent"
		cfg := TencentConfig{
			SecretID:   get(EnvTencentSecretID, true),
			SecretKey:  get(EnvTencentSecretKey, true),
			AppID:      get(EnvTencentAppID, true),
			SignName:   get(EnvTencentSignName, true),
			TemplateID: get(EnvTencentTemplateID, true),
			Region:     get(EnvTencentRegion, false),
			Endpoint:   get(EnvTencentEndpoint, false),
			Logger:     logger,
		}
		if err := check(); err != nil {
			return nil, err
		}
		return NewTencent(cfg)
	}
	k := kind
	if len(k) > 32 {
		k = k[:32]
	}
	return nil, fmt.Errorf("sms: 未知的短信服务商 %q（可选 aliyun、tencent、log） / unknown SMS provider %q (aliyun, tencent or log)", k, k)
}
