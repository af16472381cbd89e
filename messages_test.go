package checkpoint

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ErrNotOurs, "not_ours"},
		{fmt.Errorf("%w: x", ErrMalformed), "malformed"},
		{ErrUnknownKey, "unknown_key"},
		{ErrBadSignature, "bad_signature"},
		{ErrExpired, "expired"},
		{ErrNotYetValid, "not_yet_valid"},
		{ErrRevoked, "revoked"},
		{ErrClockSkew, "clock_skew"},
		{fmt.Errorf("%w: kid", ErrKeyDistrusted), "key_distrusted"},
		{ErrUnknownCode, "unknown_code"},
		{ErrRevocationsUnavailable, "revocations_unavailable"},
		{ErrIDLength, "length"},
		{ErrIDCharacter, "character"},
		{ErrIDDate, "date"},
		{ErrIDRegion, "region"},
		{ErrIDCheck, "check"},
		{ErrTempImplausible, "temp_implausible"},
		{errors.New("other"), "unknown"},
	}
	for _, tt := range tests {
		if got := ErrorKind(tt.err); got != tt.want {
			t.Errorf("ErrorKind(%v) = %q; want %q", tt.err, got, tt.want)
		}
	}
}

// TestEveryCodeHasAMessage: each error kind, reason and outcome has its own zh and en sentence.
func TestEveryCodeHasAMessage(t *testing.T) {
	var codes []string
	for _, k := range errorKinds {
		codes = append(codes, k.kind)
	}
	for _, r := range []Reason{ReasonCodeInvalid, ReasonCodeRed, ReasonCodeYellow, ReasonHouseholdHighRisk,
		ReasonHouseholdMediumRisk, ReasonLocalStayException, ReasonFever, ReasonTempImplausible,
		ReasonTempMissing, ReasonOfflineCheck, ReasonNoCode, ReasonStatusUnknownOffline} {
		codes = append(codes, string(r))
	}
	for _, o := range []Outcome{OutcomePass, OutcomeTurnBack, OutcomeRefer, OutcomeInvalid} {
		codes = append(codes, string(o))
	}
	seen := map[string]string{}
	for _, c := range codes {
		m, ok := messages[c]
		if !ok || m.ZH == "" || m.EN == "" {
			t.Errorf("MessageFor(%q) = %+v; want zh and en", c, m)
		}
		if prev, dup := seen[m.ZH]; dup && prev != c {
			t.Errorf("%s and %s share the message %q", c, prev, m.ZH)
		}
		seen[m.ZH] = c
	}
	if got := MessageFor("no such code"); got != messages[kindUnknown] {
		t.Errorf("MessageFor(unknown) = %+v", got)
	}
}
