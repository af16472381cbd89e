package checkpoint

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	risk, err := ParseRiskList([]byte(`[
		{"code":"220100","level":"high","from":"2022-03-01"},
		{"code":"310000","level":"medium","from":"2022-03-01"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	claims := func(status Status, household string) *Claims {
		c := baseClaims()
		c.Status, c.Household = status, household
		return &c
	}
	const local, highRisk, mediumRisk = "220221", "220102", "310104"
	tests := []struct {
		name    string
		in      VerdictInput
		want    Outcome
		reasons []Reason
		errKind string
	}{
		{"green, normal temperature",
			VerdictInput{Claims: claims(StatusGreen, local), Temperature: 36.5}, OutcomePass, nil, ""},
		{"green, temperature not measured",
			VerdictInput{Claims: claims(StatusGreen, local)}, OutcomePass, []Reason{ReasonTempMissing}, ""},
		{"green, offline",
			VerdictInput{Claims: claims(StatusGreen, local), Temperature: 36.5, Offline: true}, OutcomePass, []Reason{ReasonOfflineCheck}, ""},
		{"invalid code",
			VerdictInput{CodeErr: fmt.Errorf("verify: %w", ErrExpired), Temperature: 36.5}, OutcomeInvalid, []Reason{ReasonCodeInvalid}, "expired"},
		{"invalid code with fever keeps the fever reason",
			VerdictInput{CodeErr: ErrBadSignature, Temperature: 38.0}, OutcomeInvalid, []Reason{ReasonCodeInvalid, ReasonFever}, "bad_signature"},
		{"invalid code ignores household risk",
			VerdictInput{CodeErr: ErrRevoked, Household: highRisk, Temperature: 36.5}, OutcomeInvalid, []Reason{ReasonCodeInvalid}, "revoked"},
		{"red code",
			VerdictInput{Claims: claims(StatusRed, local), Temperature: 36.5}, OutcomeRefer, []Reason{ReasonCodeRed}, ""},
		{"yellow code",
			VerdictInput{Claims: claims(StatusYellow, local), Temperature: 36.5}, OutcomeRefer, []Reason{ReasonCodeYellow}, ""},
		{"unknown status is invalid",
			VerdictInput{Claims: claims("blue", local), Temperature: 36.5}, OutcomeInvalid, []Reason{ReasonCodeInvalid}, "malformed"},
		{"high-risk household is turned back",
			VerdictInput{Claims: claims(StatusGreen, highRisk), Temperature: 36.5}, OutcomeTurnBack, []Reason{ReasonHouseholdHighRisk}, ""},
		{"high-risk household with confirmed local stay passes",
			VerdictInput{Claims: claims(StatusGreen, highRisk), LocalStay: true, Temperature: 36.5}, OutcomePass, []Reason{ReasonHouseholdHighRisk, ReasonLocalStayException}, ""},
		{"local stay without high risk records nothing",
			VerdictInput{Claims: claims(StatusGreen, local), LocalStay: true, Temperature: 36.5}, OutcomePass, nil, ""},
		{"medium-risk household is noted",
			VerdictInput{Claims: claims(StatusGreen, mediumRisk), Temperature: 36.5}, OutcomePass, []Reason{ReasonHouseholdMediumRisk}, ""},
		{"fever",
			VerdictInput{Claims: claims(StatusGreen, local), Temperature: 37.3}, OutcomeRefer, []Reason{ReasonFever}, ""},
		{"just below fever",
			VerdictInput{Claims: claims(StatusGreen, local), Temperature: 37.2}, OutcomePass, nil, ""},
		{"fever threshold from config",
			VerdictInput{Claims: claims(StatusGreen, local), Temperature: 37.3, Config: Config{FeverC: 37.5}}, OutcomePass, nil, ""},
		{"fever beats turn back",
			VerdictInput{Claims: claims(StatusGreen, highRisk), Temperature: 38.5}, OutcomeRefer, []Reason{ReasonHouseholdHighRisk, ReasonFever}, ""},
		{"fever with local stay exception",
			VerdictInput{Claims: claims(StatusGreen, highRisk), LocalStay: true, Temperature: 38.5}, OutcomeRefer, []Reason{ReasonHouseholdHighRisk, ReasonLocalStayException, ReasonFever}, ""},
		{"red code and high-risk household: refer wins",
			VerdictInput{Claims: claims(StatusRed, highRisk), Temperature: 36.5}, OutcomeRefer, []Reason{ReasonCodeRed, ReasonHouseholdHighRisk}, ""},
		{"implausible low temperature: measure again",
			VerdictInput{Claims: claims(StatusGreen, local), Temperature: 30.1}, OutcomeRefer, []Reason{ReasonTempImplausible}, ""},
		{"implausible high temperature: measure again, not fever",
			VerdictInput{Claims: claims(StatusGreen, local), Temperature: 45.0}, OutcomeRefer, []Reason{ReasonTempImplausible}, ""},
		{"no code, unknown to HQ online: passes",
			VerdictInput{Household: local, Temperature: 36.5, Person: &PersonStatus{}}, OutcomePass, []Reason{ReasonNoCode}, ""},
		{"no code, green at HQ",
			VerdictInput{Household: local, Temperature: 36.5, Person: &PersonStatus{Known: true, Status: "green"}}, OutcomePass, []Reason{ReasonNoCode}, ""},
		{"no code, high-risk household",
			VerdictInput{Household: highRisk, Temperature: 36.5, Person: &PersonStatus{}}, OutcomeTurnBack, []Reason{ReasonNoCode, ReasonHouseholdHighRisk}, ""},
		// A red or yellow person must not pass by showing no code.
		{"no code, red at HQ",
			VerdictInput{Household: local, Temperature: 36.5, Person: &PersonStatus{Known: true, Status: "red", Reason: "密接"}}, OutcomeRefer, []Reason{ReasonNoCode, ReasonCodeRed}, ""},
		{"no code, yellow at HQ",
			VerdictInput{Household: local, Temperature: 36.5, Person: &PersonStatus{Known: true, Status: "yellow"}}, OutcomeRefer, []Reason{ReasonNoCode, ReasonCodeYellow}, ""},
		{"no code, HQ not asked (offline): never a silent pass",
			VerdictInput{Household: local, Temperature: 36.5}, OutcomeRefer, []Reason{ReasonNoCode, ReasonStatusUnknownOffline}, ""},
		{"no code, offline, high-risk household: refer outranks turn back",
			VerdictInput{Household: highRisk, Temperature: 36.5, Offline: true}, OutcomeRefer, []Reason{ReasonNoCode, ReasonStatusUnknownOffline, ReasonHouseholdHighRisk}, ""},
		{"no code, HQ answered a colour it should not have",
			VerdictInput{Household: local, Temperature: 36.5, Person: &PersonStatus{Known: true, Status: "blue"}}, OutcomeRefer, []Reason{ReasonNoCode, ReasonStatusUnknownOffline}, ""},
		{"offline is not noted for an invalid code",
			VerdictInput{CodeErr: ErrNotOurs, Temperature: 36.5, Offline: true}, OutcomeInvalid, []Reason{ReasonCodeInvalid}, "not_ours"},
	}
	for _, tt := range tests {
		tt.in.Risk = risk
		tt.in.Now = goldenNow
		v := Decide(tt.in)
		if tt.reasons == nil {
			tt.reasons = []Reason{}
		}
		if v.Outcome != tt.want || !slices.Equal(v.Reasons, tt.reasons) || v.Error != tt.errKind {
			t.Errorf("%s: Decide = %s %v %q; want %s %v %q", tt.name, v.Outcome, v.Reasons, v.Error, tt.want, tt.reasons, tt.errKind)
		}
		if v.Reasons == nil {
			t.Errorf("%s: Decide reasons are nil; want an empty list", tt.name)
		}
		label := v.Outcome.Label()
		if v.Symbol == "" || !strings.HasPrefix(v.MessageZH, label.ZH+"：") || !strings.HasPrefix(v.MessageEN, label.EN+": ") {
			t.Errorf("%s: Decide symbol/messages = %q %q %q", tt.name, v.Symbol, v.MessageZH, v.MessageEN)
		}
		for _, r := range v.Reasons {
			if r != ReasonCodeInvalid && !strings.Contains(v.MessageZH, MessageFor(string(r)).ZH) {
				t.Errorf("%s: MessageZH %q lacks the sentence for %s", tt.name, v.MessageZH, r)
			}
		}
	}
}

func TestDecideMessages(t *testing.T) {
	v := Decide(VerdictInput{CodeErr: ErrExpired, Now: goldenNow})
	if v.MessageZH != "无效：健康码已过期，请刷新后重新出示；尚未测量体温。" {
		t.Errorf("MessageZH = %q", v.MessageZH)
	}
	if v.MessageEN != "Invalid: the code has expired, ask for a fresh one; temperature not measured yet." {
		t.Errorf("MessageEN = %q", v.MessageEN)
	}
	c := baseClaims()
	v = Decide(VerdictInput{Claims: &c, Temperature: 36.5, Now: goldenNow})
	if v.MessageZH != "通行：健康码核验通过。" || v.Symbol != "✔" {
		t.Errorf("pass = %q %q", v.Symbol, v.MessageZH)
	}
}

func TestOutcomeSymbolsDistinct(t *testing.T) {
	seen := map[string]Outcome{}
	for _, o := range []Outcome{OutcomePass, OutcomeTurnBack, OutcomeRefer, OutcomeInvalid} {
		if prev, dup := seen[o.Symbol()]; dup {
			t.Errorf("%s and %s share symbol %s", o, prev, o.Symbol())
		}
		seen[o.Symbol()] = o
		if l := o.Label(); l == MessageFor("no such code") || l.ZH == "" || l.EN == "" {
			t.Errorf("%s has no label", o)
		}
	}
}
