package station

import (
	"context"
	"errors"

	"github.com/yongji-county/checkpoint/sync"
)

// CodeUnprovenPending is the Problem code of an enrollment refused because records are pending
// and the kiosk cannot prove it made them: the screen asks before enrolling with force.
const CodeUnprovenPending = "unproven_pending"

var errNoHQClient = problem("no_hq", "本机未配置总部连接，不能登记", "this kiosk runs without HQ: it cannot enroll", nil)

// Enroll trades a one-time code from HQ for this kiosk's credential (首次登记设备) and starts
// the first sync, which pulls the roster, sites and rules. force enrolls although records are
// pending that the kiosk cannot prove it made (HQ then holds them for an operator unless the
// code names their device). Errors are Problems in words (sync.Explain).
func (st *Station) Enroll(ctx context.Context, hqURL, code string, force bool) error {
	if st.sync == nil {
		return errNoHQClient
	}
	if err := sync.CheckHQURL(hqURL); err != nil {
		return explained(err)
	}
	if _, err := st.sync.EnrollWith(ctx, hqURL, code, sync.EnrollOptions{Force: force}); err != nil {
		return explained(err)
	}
	st.sync.SyncNow()
	return nil
}

// explained is a sync error as a Problem in staff's words.
func explained(err error) error {
	m := sync.Explain(err)
	code := m.Code
	if errors.Is(err, sync.ErrUnprovenPending) {
		code = CodeUnprovenPending
	}
	return problem(code, m.ZH, m.EN, err)
}
