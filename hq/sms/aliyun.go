package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	dysmsapi "github.com/alibabacloud-go/dysmsapi-20170525/v5/client"
	util "github.com/alibabacloud-go/tea-utils/v2/service"
	"github.com/alibabacloud-go/tea/tea"
)

// AliyunEndpoint is dysmsapi's public endpoint.
const AliyunEndpoint = "dysmsapi.aliyuncs.com"

// AliyunConfig configures the Aliyun (dysmsapi 2017-05-25) sender.
type AliyunConfig struct {
	AccessKeyID     string
	AccessKeySecret string
	SignName        string // 短信签名, e.g. 吉事办
	TemplateCode    string // e.g. SMS_123456789; its variable is ${code}
	// Endpoint is "host[:port]" (HTTPS) or "http(s)://host[:port]"; empty: AliyunEndpoint.
	Endpoint string
	Timeout  time.Duration // one request; zero: DefaultTimeout
	Logger   *slog.Logger  // one masked line per message; nil: none
}

type aliyunSender struct {
	client  *dysmsapi.Client
	cfg     AliyunConfig
	runtime *util.RuntimeOptions
}

// NewAliyun is a Sender through Aliyun's SendSms.
func NewAliyun(cfg AliyunConfig) (Sender, error) {
	for _, f := range []struct{ name, v string }{
		{"AccessKeyID", cfg.AccessKeyID}, {"AccessKeySecret", cfg.AccessKeySecret},
		{"SignName", cfg.SignName}, {"TemplateCode", cfg.TemplateCode},
	} {
		if strings.TrimSpace(f.v) == "" {
			return nil, fmt.Errorf("sms: 阿里云配置缺少 %s / aliyun config lacks %s", f.name, f.name)
		}
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = AliyunEndpoint
	}
	host, plain, err := splitEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	protocol := "https"
	if plain {
		protocol = "http"
	}
	ms := int(cfg.Timeout / time.Millisecond)
	client, err := dysmsapi.NewClient(&openapi.Config{
		AccessKeyId:     tea.String(cfg.AccessKeyID),
		AccessKeySecret: tea.String(cfg.AccessKeySecret),
		Endpoint:        tea.String(host),
		Protocol:        tea.String(protocol),
		ReadTimeout:     tea.Int(ms),
		ConnectTimeout:  tea.Int(ms),
	})
	if err != nil {
		// The SDK's own error may quote its config; say only that it failed.
		return nil, errors.New("sms: 阿里云客户端初始化失败 / aliyun client init failed")
	}
	return &aliyunSender{
		client: client,
		cfg:    cfg,
		// One attempt: a retry could send the citizen the same code twice; the caller decides.
		runtime: &util.RuntimeOptions{Autoretry: tea.Bool(false), MaxAttempts: tea.Int(1),
			ReadTimeout: tea.Int(ms), ConnectTimeout: tea.Int(ms)},
	}, nil
}

func (s *aliyunSender) Name() string { return "aliyun" }

// aliyunLimitCodes are dysmsapi's flow-control codes (per phone, per signature, per day and
// month, and the API's own throttling).
var aliyunLimitCodes = map[string]bool{
	"isv.BUSINESS_LIMIT_CONTROL":    true,
	"isv.DAY_LIMIT_CONTROL":         true,
	"isv.MONTH_LIMIT_CONTROL":       true,
	"isv.BUSINESS_LIMIT_HOUR":       true,
	"isv.BUSINESS_LIMIT_DAY":        true,
	"BUSINESS_LIMIT_CONTROL_MINUTE": true,
	"BUSINESS_LIMIT_CONTROL_PHONE":  true,
	"isv.SMS_OVER_LIMIT":            true,
}

func aliyunLimited(code string) bool {
	return aliyunLimitCodes[code] || code == "Throttling" || strings.HasPrefix(code, "Throttling.")
}

type aliyunResult struct {
	resp *dysmsapi.SendSmsResponse
	err  error
}

func (s *aliyunSender) Send(ctx context.Context, m Message) (err error) {
	if err := Validate(m); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	defer func() { logResult(ctx, s.cfg.Logger, s.Name(), m, time.Since(start), err) }()

	param, _ := json.Marshal(map[string]string{"code": m.Code})
	req := &dysmsapi.SendSmsRequest{
		PhoneNumbers:  tea.String(m.Phone),
		SignName:      tea.String(s.cfg.SignName),
		TemplateCode:  tea.String(s.cfg.TemplateCode),
		TemplateParam: tea.String(string(param)),
	}
	// The SDK takes no context: the call runs aside, bounded by the client's own timeout, and
	// Send returns when ctx ends.
	done := make(chan aliyunResult, 1)
	go func() {
		resp, err := s.client.SendSmsWithOptions(req, s.runtime)
		done <- aliyunResult{resp, err}
	}()
	var r aliyunResult
	select {
	case <-ctx.Done():
		return requestError(ctx, s.Name(), ctx.Err())
	case r = <-done:
	}
	if r.err != nil {
		var sdkErr *tea.SDKError
		if errors.As(r.err, &sdkErr) && tea.StringValue(sdkErr.Code) != "" {
			code := tea.StringValue(sdkErr.Code)
			msg := fmt.Sprintf("HTTP %d, %s", tea.IntValue(sdkErr.StatusCode), tea.StringValue(sdkErr.Message))
			if aliyunLimited(code) {
				return limitedError(s.Name(), code, msg)
			}
			return refusedError(s.Name(), code, msg)
		}
		return requestError(ctx, s.Name(), r.err)
	}
	if r.resp == nil || r.resp.Body == nil {
		return refusedError(s.Name(), "EmptyResponse", "")
	}
	code := tea.StringValue(r.resp.Body.Code)
	switch {
	case code == "OK":
		return nil
	case aliyunLimited(code):
		return limitedError(s.Name(), code, tea.StringValue(r.resp.Body.Message))
	default:
		return refusedError(s.Name(), code, tea.StringValue(r.resp.Body.Message))
	}
}
