package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// Status is what the UI shows about sync: how much is waiting, when it last worked, and what
// went wrong in words staff can read.
type Status struct {
	Enrolled    bool
	Pending     int       // records waiting in the outbox
	Quarantined int       // records HQ refused; the supervisor reviews them
	Oldest      time.Time // when the oldest pending record was made; zero when none
	Syncing     bool      // a pass is running now
	Online      bool      // the last request reached HQ (any answer)
	LastAttempt time.Time
	LastSuccess time.Time
	// LastError explains the last failed pass; its zero value means the last pass succeeded.
	LastError Message
	// ClockSkew is HQ's clock minus the kiosk's, as of the last pull.
	ClockSkew time.Duration
	// Refused counts the datasets from HQ this kiosk refused (bad signature, another device,
	// replayed older version, unknown root…); the last good one of each was kept.
	// LastRefusal says why the last one was refused, LastRefusedAt when.
	Refused       int64
	LastRefusal   Message
	LastRefusedAt time.Time
}

// Message is a sync problem in words for staff, Chinese first. Code is stable and
// machine-readable, for UIs that translate it themselves.
type Message struct {
	Code string // e.g. "unreachable", "credential"; empty when there is no problem
	ZH   string
	EN   string
}

// String returns "中文 / English", or "" for the zero Message.
func (m Message) String() string {
	if m.Code == "" {
		return ""
	}
	return m.ZH + " / " + m.EN
}

// Text returns the message in lang ("en" for English, anything else Chinese).
func (m Message) Text(lang string) string {
	if lang == "en" {
		return m.EN
	}
	return m.ZH
}

// The messages Explain returns.
var (
	MsgNotEnrolled  = Message{"not_enrolled", "本机尚未登记，请先登记设备", "this kiosk is not enrolled yet"}
	MsgUnreachable  = Message{"unreachable", "无法连接总部", "cannot reach HQ"}
	MsgTimeout      = Message{"timeout", "总部响应超时，稍后自动重试", "HQ did not answer in time; will retry"}
	MsgCredential   = Message{"credential", "设备凭证无效，请重新登记设备", "device credential rejected, enroll again"}
	MsgForbidden    = Message{"forbidden", "本设备无权执行此操作", "this device is not allowed to do that"}
	MsgEnrollCode   = Message{"enroll_code", "登记码无效、已使用或已过期", "enrollment code invalid, used or expired"}
	MsgBusy         = Message{"busy", "总部繁忙，稍后自动重试", "HQ is busy; will retry"}
	MsgServer       = Message{"server", "总部服务出错，稍后自动重试", "HQ had an error; will retry"}
	MsgBadRequest   = Message{"bad_request", "总部拒绝了本机的请求，请联系管理员", "HQ refused the request; contact the administrator"}
	MsgProtocol     = Message{"protocol", "总部答复无法识别，请联系管理员", "unexpected answer from HQ; contact the administrator"}
	MsgStore        = Message{"store", "本机数据库出错", "local database error"}
	MsgDataset      = Message{"dataset", "总部下发的配置无法使用，请联系管理员", "configuration from HQ could not be applied; contact the administrator"}
	MsgRefused      = Message{"refused", "总部下发的配置未通过签名校验，已拒绝并保留上一版，请联系管理员", "a dataset from HQ failed verification and was refused; the last good one is kept; contact the administrator"}
	MsgInsecure     = Message{"insecure_url", "总部地址必须使用 https（仅本机地址可用 http）", "the HQ address must use https (http only for a loopback address)"}
	MsgRootMismatch = Message{"root_mismatch", "总部的根密钥与登记码不符，可能遭到中间人攻击；本机未保存任何内容", "HQ's root key does not match the enrollment code (possible man in the middle); nothing was saved"}
	MsgCanceled     = Message{"canceled", "同步已取消", "sync canceled"}
	MsgContinuity   = Message{"continuity", "本机原有的设备凭证与总部记录不符，无法接续原设备；登记码未使用", "the kiosk's old credential does not match HQ's record; it cannot continue as that device; the code was not spent"}
	MsgUnproven     = Message{"unproven_pending", "本机有未上传的记录，但没有原设备凭证，无法证明是同一台设备：请使用指定替换原设备的登记码，或确认后强制登记（这些记录将由总部暂存待核）", "this kiosk has records not yet sent but holds no earlier credential to prove it is the same device: use a code made to replace the old device, or force the enrollment (HQ will hold those records for review)"}
	MsgLocked       = Message{"locked", "本机另一个同步正在进行，请稍后再试", "another sync is running on this kiosk; try again shortly"}
	MsgUnknown      = Message{"unknown", "同步失败", "sync failed"}
)

// Explain turns an error from this package into words for staff. It returns the zero Message
// for nil.
func Explain(err error) Message {
	var he *HTTPError
	var ee *enrollError
	var ne net.Error
	switch {
	case err == nil:
		return Message{}
	case errors.Is(err, ErrNotEnrolled):
		return MsgNotEnrolled
	case errors.Is(err, ErrBusy):
		return MsgLocked
	case errors.Is(err, ErrContinuity):
		return MsgContinuity
	case errors.Is(err, ErrUnprovenPending):
		return MsgUnproven
	case errors.As(err, &ee), errors.Is(err, checkpoint.ErrEnrollCodeFormat):
		return MsgEnrollCode
	case errors.Is(err, ErrInsecureURL):
		return MsgInsecure
	case errors.Is(err, ErrRootMismatch):
		return MsgRootMismatch
	case errors.Is(err, ErrStore):
		return MsgStore
	case errors.Is(err, ErrRefused):
		return MsgRefused
	case errors.Is(err, ErrDataset):
		return MsgDataset
	case errors.As(err, &he):
		switch {
		case he.Status == http.StatusUnauthorized:
			return MsgCredential
		case he.Status == http.StatusForbidden:
			return MsgForbidden
		case he.Status == http.StatusTooManyRequests || he.Status == http.StatusServiceUnavailable:
			return MsgBusy
		case he.Status == http.StatusGatewayTimeout || he.Status == http.StatusRequestTimeout:
			return MsgTimeout
		case he.Status >= 500:
			return MsgServer
		default:
			return MsgBadRequest
		}
	case errors.Is(err, ErrProtocol):
		return MsgProtocol
	case errors.Is(err, context.DeadlineExceeded):
		return MsgTimeout
	case errors.Is(err, context.Canceled):
		return MsgCanceled
	case errors.As(err, &ne) && ne.Timeout():
		return MsgTimeout
	default:
		// Refused, reset, no route, DNS, cut-off answers: the network between kiosk and HQ.
		return MsgUnreachable
	}
}

// Reasons a dataset is refused, as saved in the store and shown on the sync screen.
var refusals = map[string]Message{
	"bad_signature": {"bad_signature", "签名无效（内容被篡改）", "signature invalid (content altered)"},
	"wrong_device":  {"wrong_device", "配置是发给另一台设备的", "dataset was made for another device"},
	"wrong_name":    {"wrong_name", "配置名称与签名不符", "dataset name does not match its signature"},
	"old_version":   {"old_version", "配置版本比本机已有的旧（重放）", "dataset older than the one held (replay)"},
	"unknown_root":  {"unknown_root", "配置不是由本机登记时的总部根密钥签发的", "dataset not signed by the HQ root pinned at enrollment"},
	"bad_root_link": {"bad_root_link", "总部根密钥更换记录未经原根密钥签名", "HQ root rotation not signed by the trusted root"},
	"malformed":     {"malformed", "配置格式无法识别", "dataset malformed"},
	"invalid_data":  {"invalid_data", "配置内容无效", "dataset content invalid"},
}

// RefusalMessage returns the words for a refusal reason code (Status.LastRefusal).
func RefusalMessage(reason string) Message {
	if m, ok := refusals[reason]; ok {
		return m
	}
	if reason == "" {
		return Message{}
	}
	return Message{reason, "配置被拒绝", "dataset refused"}
}

// Reasons HQ refuses a record (RecordResult.Error), as the kiosk shows a quarantined record when
// HQ sent no words of its own. HQ's own message, when there is one, says more (an operator's note,
// the field at fault) and is shown instead.
var rejections = map[string]Message{
	"held_rejected":     {"held_rejected", "总部暂存待核后已由操作员驳回，不会再接收；如有异议请联系总部", "held at HQ and rejected by an operator; HQ will not take it; contact HQ if this is wrong"},
	"conflict":          {"conflict", "总部已有同一编号但内容不同的记录", "HQ holds a different record under this id"},
	"store_refused":     {"store_refused", "总部数据库无法保存该记录的内容", "HQ's database cannot store this record's content"},
	"too_large":         {"too_large", "记录过大，总部无法接收", "record too large for HQ"},
	"invalid_record":    {"invalid_record", "记录格式无效", "invalid record"},
	"invalid_body":      {"invalid_body", "记录内容无效", "invalid record body"},
	"invalid_site":      {"invalid_site", "站点信息不完整或无效", "site incomplete or invalid"},
	"invalid_staff":     {"invalid_staff", "扫码员信息无效", "staff details invalid"},
	"superseded":        {"superseded", "修改未生效：总部已有更新的版本", "the edit did not take effect: HQ has a newer version"},
	"site_not_allowed":  {"site_not_allowed", "本设备无权提交该站点的记录", "this device may not act for that site"},
	"staff_not_allowed": {"staff_not_allowed", "该工作人员不属于本设备的站点", "staff not on this device's roster"},
}

// RejectionMessage returns the words for the code HQ refused a record with, or a generic
// message for a code not in the table.
func RejectionMessage(code string) Message {
	if m, ok := rejections[code]; ok {
		return m
	}
	return Message{code, "总部拒收该记录", "HQ refused this record"}
}

// QuarantineReason is a quarantined record's reason in words, as the quarantine screen and
// `kiosk quarantine list` show it: HQ's message when it sent one, else the words for its code
// (errField as the store keeps it, "status: code").
func QuarantineReason(errField, message string) string {
	if m := strings.TrimSpace(message); m != "" {
		return m
	}
	_, code, ok := strings.Cut(errField, ": ")
	if !ok {
		code = errField
	}
	if code = strings.TrimSpace(code); code == "" {
		return errField
	}
	return RejectionMessage(code).String()
}

// refusalReason names why err refused a dataset.
func refusalReason(err error) string {
	switch {
	case errors.Is(err, checkpoint.ErrEnvelopeSignature):
		return "bad_signature"
	case errors.Is(err, checkpoint.ErrEnvelopeDevice):
		return "wrong_device"
	case errors.Is(err, checkpoint.ErrEnvelopeName):
		return "wrong_name"
	case errors.Is(err, checkpoint.ErrEnvelopeVersion), errors.Is(err, store.ErrStale):
		return "old_version"
	case errors.Is(err, checkpoint.ErrEnvelopeRoot):
		return "unknown_root"
	case errors.Is(err, checkpoint.ErrRootLink):
		return "bad_root_link"
	case errors.Is(err, checkpoint.ErrEnvelopeMalformed):
		return "malformed"
	}
	return "invalid_data"
}

// permanent reports whether retrying err without someone acting first is pointless.
func permanent(err error) bool {
	var he *HTTPError
	if errors.Is(err, ErrNotEnrolled) || errors.Is(err, ErrInsecureURL) {
		return true
	}
	if errors.As(err, &he) {
		return he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden
	}
	return false
}

// Status returns the latest status without blocking on the network or the store.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Refresh re-reads the outbox counts (and, the first time, the sync times saved by an earlier
// run) from the store, publishes and returns the new Status. The UI calls it at start and after
// recording a check when it wants the pending count at once.
func (c *Client) Refresh(ctx context.Context) (Status, error) {
	st, err := c.st.OutboxStats(ctx)
	if err != nil {
		return c.Status(), fmt.Errorf("sync: status: %w", err)
	}
	_, devErr := c.st.Device(ctx)
	c.mu.Lock()
	loaded := c.loaded
	c.mu.Unlock()
	var saved store.SyncState
	if !loaded {
		if saved, err = c.st.SyncState(ctx); err != nil {
			return c.Status(), fmt.Errorf("sync: status: %w", err)
		}
	}
	return c.update(func(s *Status) {
		s.Pending, s.Quarantined, s.Oldest = st.Pending, st.Quarantined, st.Oldest
		s.Enrolled = devErr == nil
		if !c.loaded {
			c.loaded = true
			if s.LastAttempt.IsZero() {
				s.LastAttempt, s.LastSuccess, s.LastError = saved.LastAttempt, saved.LastSuccess, parseMessage(saved.LastError)
			}
			if s.Refused == 0 {
				s.Refused, s.LastRefusal, s.LastRefusedAt = saved.Refused, RefusalMessage(saved.LastRefusal), saved.LastRefusedAt
			}
		}
	}), nil
}

// parseMessage turns a saved Message.String back into the Message.
func parseMessage(s string) Message {
	if s == "" {
		return Message{}
	}
	for _, m := range []Message{MsgNotEnrolled, MsgUnreachable, MsgTimeout, MsgCredential, MsgForbidden, MsgEnrollCode,
		MsgBusy, MsgServer, MsgBadRequest, MsgProtocol, MsgStore, MsgDataset, MsgRefused, MsgInsecure, MsgRootMismatch,
		MsgCanceled, MsgContinuity, MsgUnproven, MsgUnknown} {
		if m.String() == s {
			return m
		}
	}
	zh, en, ok := strings.Cut(s, " / ")
	if !ok {
		en = zh
	}
	return Message{Code: MsgUnknown.Code, ZH: zh, EN: en}
}

// update changes the status under the lock and publishes the result.
func (c *Client) update(f func(*Status)) Status {
	c.mu.Lock()
	old := c.status
	f(&c.status)
	s := c.status
	c.mu.Unlock()
	if s != old && c.cfg.OnStatus != nil {
		c.cfg.OnStatus(s)
	}
	return s
}

// begin marks the start of a pass.
func (c *Client) begin() {
	now := c.cfg.Now()
	c.update(func(s *Status) { s.Syncing, s.LastAttempt = true, now })
}

// finish records the outcome of a pass and refreshes the counts. A failure is logged once per
// change of message, not on every retry.
func (c *Client) finish(ctx context.Context, err error) {
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// The caller gave up (Run stopping, UI closing): not a sync problem to report.
		c.update(func(s *Status) { s.Syncing = false })
		return
	}
	msg := Explain(err)
	prev := c.Status().LastError
	if err != nil && msg != prev {
		c.log.WarnContext(ctx, "sync: failed", slog.String("problem", msg.Code), slog.Any("error", err))
	} else if err == nil && prev.Code != "" {
		c.log.InfoContext(ctx, "sync: working again")
	}
	now := c.cfg.Now()
	c.update(func(s *Status) {
		s.Syncing = false
		s.LastError = msg
		if err == nil {
			s.LastSuccess = now
		}
		if msg == MsgUnreachable || msg == MsgTimeout {
			s.Online = false
		}
	})
	// Save the outcome and re-read the counts, even when HQ could not be reached or the caller
	// gave up: use a short context that survives the caller's cancellation.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s := c.Status()
	if err := c.st.SetSyncState(rctx, store.SyncState{LastSuccess: s.LastSuccess, LastAttempt: s.LastAttempt, LastError: s.LastError.String()}); err != nil {
		c.log.WarnContext(ctx, "sync: save sync state", slog.Any("error", err))
	}
	if _, err := c.Refresh(rctx); err != nil {
		c.log.WarnContext(ctx, "sync: read outbox stats", slog.Any("error", err))
	}
}
