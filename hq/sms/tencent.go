package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	tcsms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"
)

// Tencent Cloud SMS defaults.
const (
	TencentEndpoint = "sms.tencentcloudapi.com"
	TencentRegion   = "ap-guangzhou"
)

// TencentConfig configures the Tencent Cloud SMS (2021-01-11) sender.
type TencentConfig struct {
	SecretID   string
	SecretKey  string
	AppID      string // SmsSdkAppId, e.g. 1400006666
	SignName   string // 短信签名, e.g. 吉事办
	TemplateID string // its two parameters are the code and the minutes it is valid
	Region     string // empty: TencentRegion
	// Endpoint is "host[:port]" (HTTPS) or "http(s)://host[:port]"; empty: TencentEndpoint.
	Endpoint string
	Timeout  time.Duration // one request; zero: DefaultTimeout
	Logger   *slog.Logger  // one masked line per message; nil: none
}

type tencentSender struct {
	client *tcsms.Client
	cfg    TencentConfig
}

// NewTencent is a Sender through Tencent Cloud's SendSms.
func NewTencent(cfg TencentConfig) (Sender, error) {
	for _, f := range []struct{ name, v string }{
		{"SecretID", cfg.SecretID}, {"SecretKey", cfg.SecretKey}, {"AppID", cfg.AppID},
		{"SignName", cfg.SignName}, {"TemplateID", cfg.TemplateID},
	} {
		if strings.TrimSpace(f.v) == "" {
			return nil, fmt.Errorf("sms: 腾讯云配置缺少 %s / tencent config lacks %s", f.name, f.name)
		}
	}
	if cfg.Region == "" {
		cfg.Region = TencentRegion
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = TencentEndpoint
	}
	host, plain, err := splitEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	cp := profile.NewClientProfile()
	cp.HttpProfile.Endpoint = host
	cp.HttpProfile.Scheme = "HTTPS"
	if plain {
		cp.HttpProfile.Scheme = "HTTP"
	}
	cp.HttpProfile.ReqMethod = "POST"
	cp.HttpProfile.ReqTimeout = int((cfg.Timeout + time.Second - 1) / time.Second) // whole seconds, rounded up
	// One attempt: a retry could send the citizen the same code twice; the caller decides.
	cp.NetworkFailureMaxRetries = 0
	cp.RateLimitExceededMaxRetries = 0
	client, err := tcsms.NewClient(common.NewCredential(cfg.SecretID, cfg.SecretKey), cfg.Region, cp)
	if err != nil {
		return nil, errors.New("sms: 腾讯云客户端初始化失败 / tencent client init failed")
	}
	client.WithHttpTransport(statusTransport{base: http.DefaultTransport.(*http.Transport).Clone()})
	return &tencentSender{client: client, cfg: cfg}, nil
}

// statusTransport turns an HTTP error status without a JSON body (a proxy's or a load
// balancer's page) into an error naming the status; the SDK would report it as unparsable JSON.
type statusTransport struct{ base http.RoundTripper }

func (t statusTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil || resp.StatusCode < 300 || strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return nil, fmt.Errorf("HTTP %s", resp.Status)
}

func (s *tencentSender) Name() string { return "tencent" }

// tencentLimited says whether a Tencent error code is flow control: the per-number and
// per-application limits of SMS, and the API's own request limit.
func tencentLimited(code string) bool {
	switch code {
	case "LimitExceeded.PhoneNumberDailyLimit",
		"LimitExceeded.PhoneNumberThirtySecondLimit",
		"LimitExceeded.PhoneNumberOneHourLimit",
		"LimitExceeded.PhoneNumberSameContentDailyLimit",
		"LimitExceeded.DeliveryFrequencyLimit",
		"LimitExceeded.DailyLimit",
		"LimitExceeded.AppDailyLimit",
		"LimitExceeded.AppGlobalDailyLimit",
		"LimitExceeded.AppMainlandChinaDailyLimit",
		"LimitExceeded.AppCountryOrRegionDailyLimit",
		"RequestLimitExceeded",
		"RequestLimitExceeded.UinLimitExceeded",
		"RequestLimitExceeded.GlobalRegionUinLimitExceeded":
		return true
	}
	return false
}

func (s *tencentSender) Send(ctx context.Context, m Message) (err error) {
	if err := Validate(m); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	defer func() { logResult(ctx, s.cfg.Logger, s.Name(), m, time.Since(start), err) }()

	req := tcsms.NewSendSmsRequest()
	req.SmsSdkAppId = common.StringPtr(s.cfg.AppID)
	req.SignName = common.StringPtr(s.cfg.SignName)
	req.TemplateId = common.StringPtr(s.cfg.TemplateID)
	req.TemplateParamSet = common.StringPtrs([]string{m.Code, strconv.Itoa(CodeMinutes)})
	req.PhoneNumberSet = common.StringPtrs([]string{"+86" + m.Phone})
	resp, err := s.client.SendSmsWithContext(ctx, req)
	if err != nil {
		var sdkErr *tcerr.TencentCloudSDKError
		if ctx.Err() == nil && errors.As(err, &sdkErr) && !strings.HasPrefix(sdkErr.Code, "ClientError.") {
			if tencentLimited(sdkErr.Code) {
				return limitedError(s.Name(), sdkErr.Code, sdkErr.Message)
			}
			return refusedError(s.Name(), sdkErr.Code, sdkErr.Message)
		}
		if ctx.Err() == nil && errors.As(err, &sdkErr) {
			// The SDK's own ClientError (HTTP status, unparsable body): its message quotes the
			// body, which is left out.
			what := sdkErr.Code
			switch msg := sdkErr.Message; sdkErr.Code {
			case "ClientError.HttpStatusCodeError":
				if i := strings.Index(msg, ", with body"); i >= 0 {
					what += ": " + msg[:i]
				}
			case "ClientError.NetworkError": // "Fail to get response because Post "URL": cause"
				if i := strings.LastIndex(msg, "\": "); i >= 0 {
					what += ": " + msg[i+3:]
				}
			}
			return requestError(ctx, s.Name(), errors.New(what))
		}
		return requestError(ctx, s.Name(), err)
	}
	if resp == nil || resp.Response == nil || len(resp.Response.SendStatusSet) == 0 || resp.Response.SendStatusSet[0] == nil {
		return refusedError(s.Name(), "EmptyResponse", "")
	}
	st := resp.Response.SendStatusSet[0]
	code := ""
	if st.Code != nil {
		code = *st.Code
	}
	msg := ""
	if st.Message != nil {
		msg = *st.Message
	}
	switch {
	case code == "Ok":
		return nil
	case tencentLimited(code):
		return limitedError(s.Name(), code, msg)
	default:
		return refusedError(s.Name(), code, msg)
	}
}
