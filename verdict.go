package checkpoint

import "time"

// Outcome is what staff do with the person.
type Outcome string

// Outcomes, from least to most severe; when several rules apply the most severe wins.
const (
	OutcomePass     Outcome = "pass"      // 通行
	OutcomeTurnBack Outcome = "turn_back" // 劝返
	OutcomeRefer    Outcome = "refer"     // 复核: supervisor review or the isolation point
	OutcomeInvalid  Outcome = "invalid"   // 无效: the code itself is bad
)

// Refer outranks turn back: a person who may be infectious (red code, fever) must go to the
// isolation point, not be sent back on the road.
var outcomeRank = map[Outcome]int{OutcomePass: 0, OutcomeTurnBack: 1, OutcomeRefer: 2, OutcomeInvalid: 3}

// Symbol is the outcome's sign, shown with its words so that no result is told by colour alone.
func (o Outcome) Symbol() string {
	switch o {
	case OutcomePass:
		return "✔"
	case OutcomeTurnBack:
		return "✖"
	case OutcomeRefer:
		return "⚠"
	}
	return "⊘"
}

// Label returns the outcome's words (通行 Pass, 劝返 Turn back, 复核 Refer, 无效 Invalid).
func (o Outcome) Label() Message { return MessageFor(string(o)) }

// Reason is a machine-readable reason code recorded with a verdict.
type Reason string

// Reason codes.
const (
	ReasonCodeInvalid         Reason = "code_invalid"
	ReasonCodeRed             Reason = "code_red"
	ReasonCodeYellow          Reason = "code_yellow"
	ReasonHouseholdHighRisk   Reason = "household_high_risk"
	ReasonHouseholdMediumRisk Reason = "household_medium_risk"
	ReasonLocalStayException  Reason = "local_stay_exception"
	ReasonFever               Reason = "fever"
	ReasonTempImplausible     Reason = "temp_implausible"
	ReasonTempMissing         Reason = "temp_missing"
	ReasonOfflineCheck        Reason = "offline_check"
	ReasonNoCode              Reason = "no_code"
	// ReasonStatusUnknownOffline: a person without a code whose status HQ could not be asked
	// for. Not known to be green, so not a pass: 复核, and HQ re-checks the record on arrival.
	ReasonStatusUnknownOffline Reason = "status_unknown_offline"
)

// VerdictInput is everything a verdict depends on.
type VerdictInput struct {
	// Claims is the verified code; nil when CodeErr is set or the person has no code.
	Claims *Claims
	// CodeErr is Verify's error for a bad code.
	CodeErr error
	// Household is the household division code of a person without a code (assisted
	// registration, e.g. ResidentID.Region()); ignored when Claims is set.
	Household string
	Risk      RiskList
	// LocalStay is the staff's confirmation that the person stayed in the county for the
	// whole past month without visiting a high-risk area.
	LocalStay bool
	// Temperature is the measured reading; 0 when not measured.
	Temperature Celsius
	// TempMeasured says Temperature was measured even when it reads 0 (a typed "0" is an
	// implausible reading, not a missing one).
	TempMeasured bool
	// Person is HQ's answer, asked online, on the status of a person without a code (assisted
	// registration); nil when HQ could not be asked. Ignored when Claims or CodeErr is set.
	Person *PersonStatus
	// Offline is true when the code's live status could not be confirmed with HQ.
	Offline bool
	Config  Config
	Now     time.Time
}

// Verdict is the decision shown to staff and recorded with the check.
type Verdict struct {
	Outcome   Outcome  `json:"verdict"`
	Reasons   []Reason `json:"reasons"`         // never nil
	Error     string   `json:"error,omitempty"` // ErrorKind of the code's error when invalid
	Symbol    string   `json:"symbol"`
	MessageZH string   `json:"message_zh"`
	MessageEN string   `json:"message_en"`
}

// Decide applies the checkpoint rules (DESIGN §4):
//   - a bad code is invalid;
//   - a red code is referred (isolation point), a yellow code referred for review;
//   - no code is not a pass by itself: a person without a code takes the colour HQ answers for
//     their ID number (red and yellow are referred as for a code); one HQ holds no record of
//     passes (no_code: nothing says they are red or yellow); when HQ could not be asked the
//     verdict is at least refer (status_unknown_offline) and HQ re-checks the record on arrival;
//   - a household registration in an active high-risk area is turned back, unless staff confirmed
//     the local stay: then the person passes with local_stay_exception recorded; a medium-risk
//     household is only noted;
//   - a temperature at or above the fever threshold is referred;
//   - an implausible temperature is a failed measurement: the person cannot pass on it, so the
//     verdict is at least refer with temp_implausible ("measure again"), and deciding again with
//     a new reading clears it; a missing temperature is only noted (temp_missing).
//
// The most severe outcome wins; every rule that applied leaves its reason.
func Decide(in VerdictInput) Verdict {
	cfg := in.Config.WithDefaults()
	v := Verdict{Outcome: OutcomePass, Reasons: []Reason{}}
	apply := func(o Outcome, r Reason) {
		if outcomeRank[o] > outcomeRank[v.Outcome] {
			v.Outcome = o
		}
		v.Reasons = append(v.Reasons, r)
	}
	household := in.Household
	switch {
	case in.CodeErr != nil:
		v.Error = ErrorKind(in.CodeErr)
		apply(OutcomeInvalid, ReasonCodeInvalid)
	case in.Claims != nil:
		household = in.Claims.Household
		switch in.Claims.Status {
		case StatusGreen:
		case StatusYellow:
			apply(OutcomeRefer, ReasonCodeYellow)
		case StatusRed:
			apply(OutcomeRefer, ReasonCodeRed)
		default:
			v.Error = kindMalformed
			apply(OutcomeInvalid, ReasonCodeInvalid)
		}
	default:
		apply(OutcomePass, ReasonNoCode)
		switch p := in.Person; {
		case p == nil:
			apply(OutcomeRefer, ReasonStatusUnknownOffline)
		case !p.Known, p.Status == string(StatusGreen):
		case p.Status == string(StatusYellow):
			apply(OutcomeRefer, ReasonCodeYellow)
		case p.Status == string(StatusRed):
			apply(OutcomeRefer, ReasonCodeRed)
		default:
			apply(OutcomeRefer, ReasonStatusUnknownOffline)
		}
	}
	if v.Outcome != OutcomeInvalid && household != "" {
		if a, ok := in.Risk.Match(household, in.Now); ok {
			switch a.Level {
			case RiskHigh:
				if in.LocalStay {
					apply(OutcomePass, ReasonHouseholdHighRisk)
					apply(OutcomePass, ReasonLocalStayException)
				} else {
					apply(OutcomeTurnBack, ReasonHouseholdHighRisk)
				}
			case RiskMedium:
				apply(OutcomePass, ReasonHouseholdMediumRisk)
			}
		}
	}
	switch t := in.Temperature; {
	case t == 0 && !in.TempMeasured:
		apply(OutcomePass, ReasonTempMissing)
	case cfg.CheckTemperature(t) != nil:
		apply(OutcomeRefer, ReasonTempImplausible)
	case cfg.Fever(t):
		apply(OutcomeRefer, ReasonFever)
	}
	if in.Offline && in.Claims != nil && v.Outcome != OutcomeInvalid {
		apply(OutcomePass, ReasonOfflineCheck)
	}

	var ms []Message
	if v.Error != "" {
		ms = append(ms, MessageFor(v.Error))
	} else if in.Claims != nil && in.Claims.Status == StatusGreen {
		ms = append(ms, MessageFor("verified"))
	}
	for _, r := range v.Reasons {
		if r != ReasonCodeInvalid {
			ms = append(ms, MessageFor(string(r)))
		}
	}
	m := joinMessages(v.Outcome.Label(), ms)
	v.Symbol, v.MessageZH, v.MessageEN = v.Outcome.Symbol(), m.ZH, m.EN
	return v
}
