package station

import (
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// Session is a logged-in staff member at this kiosk.
type Session struct {
	StaffID    string
	NameMasked string
	Supervisor bool
	SiteID     string
	SiteName   string
	Since      time.Time
	Offline    bool // logged in against the cached roster, HQ not reached
}

// Decision is a verdict as staff see it: never a colour alone, always a symbol and words.
type Decision struct {
	Verdict   string // pass, turn_back, refer, invalid
	Reasons   []string
	MessageZH string
	MessageEN string
}

// ScanView is what the person-info screen (人员信息) shows for one scanned code.
type ScanView struct {
	Text         string
	Valid        bool
	ErrorKind    string // failure kind when !Valid: not_ours, malformed, expired, ...
	CodeID       string
	Name         string // as printed on the code (the code carries the name; shown to staff)
	IDMasked     string
	Household    string
	Status       string // green, yellow, red
	StatusReason string
	Kind         string
	ExpiresAt    time.Time
	HighRisk     bool      // household in a high-risk area: staff may confirm the local-stay exception
	RiskArea     string    // when HighRisk, the listed area's code (2, 4 or 6 digits: a province, city or county)
	LastSeen     time.Time // zero when this code's holder was not checked here recently
	Online       bool      // the live status was confirmed with HQ
	LiveChanged  bool      // HQ says the colour changed since the code was issued
	Decision     Decision  // before temperature and exception
	ScannedAt    time.Time

	Claims  *checkpoint.Claims // nil when the code did not verify
	CodeErr error              // why it did not verify
}

// Registration is what staff type in the assisted registration form (辅助登记).
type Registration struct {
	Phone   string
	SMSCode string
	Name    string
	ID      string
	Temp    string
	Remarks string
}

// NewStaff is the add-scanner-staff form (添加扫码员).
type NewStaff struct {
	Phone    string
	Name     string
	Password string
	SiteID   string
	Role     string
}

// LogFilter selects log rows for the supervisor's review.
type LogFilter struct {
	From, To time.Time
	Verdict  string
	StaffID  string // supervisors only: scanner staff always see their own checks
	SiteID   string
	Search   string
	Limit    int
	Offset   int
}

// LogRow is one line of the local log.
type LogRow struct {
	ID        string
	Kind      string // check or registration
	At        time.Time
	Name      string
	IDMasked  string
	Verdict   string
	TempC     string
	StaffID   string
	SiteID    string
	Synced    bool
	Household string
}

// SyncView is the sync state the header badge and the sync screen show.
type SyncView struct {
	Enrolled    bool
	Online      bool
	Pending     int
	Quarantined int
	LastSuccess time.Time
	LastError   string // in words, Chinese first
	DataAge     time.Duration
	ClockSkew   time.Duration
	// Refused counts datasets from HQ that failed verification (the last good ones are kept);
	// LastRefusal says why the last one did, in words.
	Refused     int64
	LastRefusal string
}
