package checkpoint

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"
)

// This file holds the HQ protocol's wire types, shared by the kiosk's sync client and the HQ
// server. docs/api/openapi.yaml describes the same shapes; a test keeps the two in step.

// Protocol limits. HQ answers 413 past MaxBatchBytes (compressed or not) and 400 past
// MaxBatchRecords; the kiosk builds batches well inside both.
const (
	MaxBatchRecords = 1000
	MaxBatchBytes   = 4 << 20
)

// PushRequest is the body of POST /api/v1/batches (gzip-encoded when Content-Encoding says so).
type PushRequest struct {
	Records []Record `json:"records"`
}

// Per-record outcomes in a PushResponse.
const (
	ResultStored    = "stored"    // new; HQ now holds it
	ResultDuplicate = "duplicate" // HQ already held exactly this record; acknowledged again
	ResultConflict  = "conflict"  // HQ holds a different record under the same id
	ResultRejected  = "rejected"  // malformed: HQ cannot store it at all
	ResultHeld      = "held"      // stored at HQ but not accepted (e.g. staff not on the roster): an operator decides
	// ResultSuperseded: a site edit or staff_add HQ stored but did not apply, because it was made
	// from a version of the row that is no longer HQ's (another edit came first). The kiosk drops
	// it from the outbox, tells the supervisor, and takes HQ's version at the next pull.
	ResultSuperseded = "superseded"
)

// RecordResult is HQ's answer for one record. Stored, duplicate, held and superseded mean "done,
// drop it from the outbox" (HQ has a copy; a held one waits for an operator at HQ, with its
// reason; a superseded edit was not applied and the supervisor is told); conflict and rejected
// mean "quarantine it, show the supervisor, go on".
type RecordResult struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`   // machine-readable, e.g. "site_not_allowed"
	Message string `json:"message,omitempty"` // for people, Chinese first then English
}

// Done reports whether the kiosk may drop the record from its outbox.
func (r RecordResult) Done() bool {
	switch r.Status {
	case ResultStored, ResultDuplicate, ResultHeld, ResultSuperseded:
		return true
	}
	return false
}

// PushResponse answers a PushRequest, one result per record in request order.
type PushResponse struct {
	Results []RecordResult `json:"results"`
}

// ErrorResponse is the body of every 4xx/5xx answer from HQ.
type ErrorResponse struct {
	Error   string `json:"error"`   // machine-readable
	Message string `json:"message"` // Chinese first, then English
}

// Dataset names in the config pull. Each is versioned and replaced whole on the kiosk.
const (
	DatasetTrust       = "trust"       // TrustList JSON
	DatasetRevocations = "revocations" // RevocationList JSON
	DatasetRisk        = "risk_areas"  // JSON array of risk areas (see risk.go)
	DatasetStaff       = "staff"       // []Staff for this device's sites
	DatasetSites       = "sites"       // []Site: this device's site and everything below it
	DatasetSettings    = "settings"    // Settings JSON
)

// Datasets lists every dataset name, in a stable order.
var Datasets = []string{DatasetTrust, DatasetRevocations, DatasetRisk, DatasetStaff, DatasetSites, DatasetSettings}

// Dataset is one versioned piece of configuration. A kiosk sends the versions it holds
// (GET /api/v1/config?trust=3&staff=sha256-…) and gets back only the datasets that changed,
// each in a signed Envelope (envelope.go); Dataset is what a verified envelope carries.
// Global datasets are known by Version; per-device ones (PerDevice) by Tag, a hash of what this
// device gets, so a site move, a transfer or a re-enrollment reaches the kiosks it concerns.
type Dataset struct {
	Name    string          `json:"name"`
	Version int64           `json:"version"`
	Data    json.RawMessage `json:"data"`
	// Tag, Epoch and IssuedAt come from the signed payload (DatasetPayload).
	Tag      string    `json:"tag,omitempty"`
	Epoch    string    `json:"epoch,omitempty"`
	IssuedAt time.Time `json:"issued_at,omitzero"`
}

// PerDevice reports whether a dataset's content depends on the device that pulls it (its
// site's roster and subtree): its cursor is a content tag, not the global version.
func PerDevice(name string) bool { return name == DatasetStaff || name == DatasetSites }

// DatasetTag is the content tag of a per-device dataset: "sha256-" and the first 128 bits of
// the SHA-256 of its JSON, in hex. It never parses as a version number.
func DatasetTag(data []byte) string {
	h := sha256.Sum256(data)
	return "sha256-" + hex.EncodeToString(h[:16])
}

// EpochHeader is the response header HQ puts on every answer to a device: HQ's epoch, which a
// restore from backup changes (docs/SYNC.md "Epoch").
const EpochHeader = "X-Checkpoint-Epoch"

// ConfigResponse answers GET /api/v1/config. Every dataset is signed by HQ's root key;
// RootChain lets a kiosk pinned to an older root follow rotations to the current one.
type ConfigResponse struct {
	Datasets   []Envelope `json:"datasets"`
	RootChain  []RootLink `json:"root_chain,omitempty"`
	ServerTime time.Time  `json:"server_time"`     // lets the kiosk warn about clock skew; not signed
	Epoch      string     `json:"epoch,omitempty"` // HQ's epoch, as in EpochHeader; not signed (the datasets' epochs are)
}

// Settings is the "settings" dataset: rule thresholds and the public values a kiosk needs. It
// holds no key that turns a masked value back into an ID number or a phone (DESIGN §9): HQ keeps
// its HMAC key for those to itself.
type Settings struct {
	Rules         Config `json:"rules"`
	HQSealKey     string `json:"hq_seal_key"`    // base64 HPKE (X25519) public key personal data is sealed to
	StaffSalt     string `json:"staff_salt"`     // base64 salt of the roster's slow phone lookups (passwd.PhoneLookup), one per HQ
	RetentionDays int    `json:"retention_days"` // synced records older than this are purged
}

// EnrollRequest is the body of POST /api/v1/enroll.
// A kiosk that holds an earlier credential names it in Replaces and proves it held it with
// Proof (ContinuityProof), so that HQ accepts the earlier device's queued records from the new
// one; this works even when the old credential was revoked.
type EnrollRequest struct {
	Code       string `json:"code"`
	DeviceName string `json:"device_name"`
	Replaces   string `json:"replaces,omitempty"` // the device id this kiosk held before
	Proof      string `json:"proof,omitempty"`    // ContinuityProof over the code, with the old secret
}

// EnrollResponse gives a kiosk its own credential. The secret is shown once; HQ keeps a hash.
// Every later call sends "Authorization: Bearer DEVICE_ID.SECRET".
// RootKey is HQ's current root public key: the kiosk pins it only if the fingerprint in the
// enrollment code names it (or a key of RootChain that leads to it).
// Replaces is the device this one succeeds at HQ (named by the code or proved by the kiosk):
// HQ accepts that device's records from this one. A retry of the same enrollment (same code,
// same device name) within EnrollRetryWindow gets the same answer.
type EnrollResponse struct {
	DeviceID  string            `json:"device_id"`
	Secret    string            `json:"secret"`
	SiteID    string            `json:"site_id"`
	RootKey   ed25519.PublicKey `json:"root_key"`
	RootChain []RootLink        `json:"root_chain,omitempty"`
	Replaces  string            `json:"replaces,omitempty"`
	Epoch     string            `json:"epoch,omitempty"`
}

// EnrollRetryWindow is how long after an enrollment HQ answers a retry with the same code and
// device name with the same credential (the first answer may have been lost on the way).
const EnrollRetryWindow = 10 * time.Minute

// ContinuityProof is what a kiosk sends to show it held the credential of device oldID: an
// HMAC-SHA256, keyed with the hex SHA-256 of the old secret (what HQ stores), over the
// enrollment code's secret part and the old device id. It is bound to the code, so it is
// worth nothing with another one, and the old secret itself never travels again.
func ContinuityProof(oldID, oldSecret, code string) string {
	h := sha256.Sum256([]byte(oldSecret))
	return ContinuityProofFromHash(oldID, hex.EncodeToString(h[:]), code)
}

// ContinuityProofFromHash is ContinuityProof from the secret's hex SHA-256, as HQ holds it.
func ContinuityProofFromHash(oldID, secretHash, code string) string {
	c := NormEnrollCode(code)
	if len(c) > EnrollCodeSecretLen {
		c = c[:EnrollCodeSecretLen]
	}
	m := hmac.New(sha256.New, []byte(secretHash))
	m.Write([]byte("checkpoint continuity v1\x00" + c + "\x00" + oldID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CodeStatus answers GET /api/v1/codes/{code_id}/status: the live state HQ knows of a code.
type CodeStatus struct {
	CodeID  string `json:"code_id"`
	Known   bool   `json:"known"`
	Revoked bool   `json:"revoked"`
	// KeyDistrusted: the key that signed the code is distrusted (then Revoked is true as well).
	KeyDistrusted bool      `json:"key_distrusted,omitempty"`
	Status        string    `json:"status,omitempty"` // green, yellow, red: the person's current colour
	Reason        string    `json:"reason,omitempty"`
	UpdatedAt     time.Time `json:"updated_at,omitempty"`
}

// PersonStatusQuery is the body of POST /api/v1/people/status: a kiosk asks for the status of
// a person who has no code (assisted registration). The ID number travels in the body only,
// never in a URL, so that no access log holds it.
type PersonStatusQuery struct {
	IDNumber string `json:"id_number"`
}

// PersonStatus answers a PersonStatusQuery with the colour and reason HQ holds for the person,
// and nothing else (no name, no household). Known is false when HQ has no record of them.
type PersonStatus struct {
	Known  bool   `json:"known"`
	Status string `json:"status,omitempty"` // green, yellow, red
	Reason string `json:"reason,omitempty"`
}

// AssistSMSRequest is the body of POST /api/v1/assist/sms: a kiosk's 辅助登记 asks HQ to send a
// verification code to the phone of the person being registered (device-authenticated; HQ's
// per-phone and per-address SMS limits apply).
type AssistSMSRequest struct {
	Phone string `json:"phone"`
}

// AssistSMSResponse answers it: the code is on its way; another may be asked for after
// RetryAfterS seconds.
type AssistSMSResponse struct {
	RetryAfterS int `json:"retry_after_s"`
}

// AssistVerifyRequest is the body of POST /api/v1/assist/verify: the code the person read out
// at the kiosk. HQ checks and consumes it (single use, 5 minutes, 5 attempts).
type AssistVerifyRequest struct {
	Phone string `json:"phone"`
	Code  string `json:"code"`
}

// AssistVerifyResponse answers a right code; a wrong or expired one is a 400 ErrorResponse
// (sms_code_wrong, sms_code_expired, sms_code_attempts).
type AssistVerifyResponse struct {
	Verified bool `json:"verified"`
}
