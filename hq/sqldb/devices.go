package sqldb

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
)

// Device is an enrolled kiosk.
type Device struct {
	ID         string
	Name       string
	SiteID     string
	SecretHash string // hex SHA-256 of the secret
	CreatedAt  time.Time
	Revoked    bool
	// Replaces is the device this one succeeds (re-enrolled kiosk): HQ accepts that device's
	// records from this one. ReplacedBy is the newest device that succeeds this one (Devices
	// fills it in).
	Replaces   string
	ReplacedBy string
	// Predecessors is the chain this device succeeds, nearest first (WithPredecessors fills it).
	Predecessors []Device
}

// MaxLineage bounds how many predecessors a device's chain holds (and so any cycle).
const MaxLineage = 16

// Made returns the device of dv's chain (dv itself or one of its Predecessors) with the given
// id: a record made by it may come from dv.
func (dv Device) Made(id string) (Device, bool) {
	if id == dv.ID {
		return dv, true
	}
	for _, p := range dv.Predecessors {
		if p.ID == id {
			return p, true
		}
	}
	return Device{}, false
}

// Errors from enrollment.
var (
	ErrBadCode = errors.New("sqldb: enrollment code unknown, used or expired")
	// ErrBadProof means the kiosk named a device it held before, but its proof does not match
	// that device's credential (or HQ has no such device).
	ErrBadProof = errors.New("sqldb: continuity proof does not match the device it names")
)

// enrollAlphabet is Crockford-like base32 without look-alikes, for codes typed by hand.
var enrollEnc = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// normCode canonicalises an enrollment code's secret as typed: case, spaces and dashes do not
// matter.
func normCode(c string) string { return checkpoint.NormEnrollCode(c) }

// CreateEnrollCode makes a one-time enrollment code for siteID, valid for ttl, and returns its
// secret as XXXX-XXXX-XXXX-XXXX (80 random bits). HQ stores only its hash; the code staff type
// is the secret followed by HQ's root fingerprint (checkpoint.FormatEnrollCode).
func (d *DB) CreateEnrollCode(ctx context.Context, siteID string, ttl time.Duration, now time.Time) (string, error) {
	return d.CreateReplacementCode(ctx, siteID, "", ttl, now)
}

// CreateReplacementCode is CreateEnrollCode for a kiosk that replaces device replaces (empty:
// none): the device enrolled with the code succeeds it. An empty siteID takes the old
// device's site.
func (d *DB) CreateReplacementCode(ctx context.Context, siteID, replaces string, ttl time.Duration, now time.Time) (string, error) {
	if replaces != "" {
		old, err := d.Device(ctx, replaces)
		if err != nil {
			return "", fmt.Errorf("sqldb: create enroll code: device %q: %w", replaces, ErrNotFound)
		}
		if siteID == "" {
			siteID = old.SiteID
		}
	}
	if _, err := d.Site(ctx, siteID); err != nil {
		return "", fmt.Errorf("sqldb: create enroll code: %w", err)
	}
	b := make([]byte, 10)
	rand.Read(b)
	raw := enrollEnc.EncodeToString(b) // 16 characters
	code := raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
	err := d.tx(ctx, "create enroll code", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO enroll_codes (code_hash, site_id, created_at, expires_at, used_at, device_id, replaces) VALUES (?,?,?,?,'','',?)`),
			hashSecret(normCode(code)), siteID, ftime(now), ftime(now.Add(ttl)), replaces)
		return err
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// Enrollment is one enrollment request: the code's secret part, the device name and, when the
// kiosk held an earlier credential, that device's id and checkpoint.ContinuityProof.
type Enrollment struct {
	Code     string
	Name     string
	Replaces string
	Proof    string
	Now      time.Time
}

// Enroll spends a one-time code (its secret part) and creates a device with a fresh secret.
func (d *DB) Enroll(ctx context.Context, code, name string, now time.Time) (checkpoint.EnrollResponse, error) {
	return d.EnrollDevice(ctx, Enrollment{Code: code, Name: name, Now: now})
}

// EnrollDevice spends a one-time code and creates a device with a fresh secret. The new device
// succeeds the device the kiosk proved it held (e.Replaces, e.Proof), or else the one the code
// names; that device's credential is revoked. A wrong proof is ErrBadProof and spends nothing.
//
// The same code and device name again within checkpoint.EnrollRetryWindow get the same answer
// (the first one may have been lost in transit). For that HQ keeps the secret sealed with a key
// derived from the code, which HQ does not store (only its hash): reading HQ's database does
// not give the secret, and the sealed copy is wiped when the window ends.
func (d *DB) EnrollDevice(ctx context.Context, e Enrollment) (checkpoint.EnrollResponse, error) {
	var resp checkpoint.EnrollResponse
	code := normCode(e.Code)
	ch := hashSecret(code)
	now := e.Now
	// Sealed answers past their window go, whichever code is being used (and whether this
	// enrollment succeeds or not).
	if _, err := d.db.ExecContext(ctx, d.q(`UPDATE enroll_codes SET answer = '' WHERE answer <> '' AND used_at < ?`),
		ftime(now.Add(-checkpoint.EnrollRetryWindow))); err != nil {
		return resp, fmt.Errorf("sqldb: enroll: %w", err)
	}
	err := d.tx(ctx, "enroll", func(tx *sql.Tx) error {
		var site, exp, used, devID, codeReplaces, usedName, answer string
		err := tx.QueryRowContext(ctx, d.q(`SELECT site_id, expires_at, used_at, device_id, replaces, device_name, answer FROM enroll_codes WHERE code_hash = ?`), ch).
			Scan(&site, &exp, &used, &devID, &codeReplaces, &usedName, &answer)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrBadCode
		}
		if err != nil {
			return err
		}
		if used != "" {
			r, ok := d.retryAnswer(ctx, tx, code, e, devID, usedName, answer)
			if !ok {
				return ErrBadCode
			}
			resp = r
			return nil
		}
		if exp <= ftime(now) {
			return ErrBadCode
		}
		replaces := codeReplaces
		if e.Replaces != "" {
			old, err := d.deviceTx(ctx, tx, e.Replaces)
			if errors.Is(err, ErrNotFound) {
				return ErrBadProof
			}
			if err != nil {
				return err
			}
			want := checkpoint.ContinuityProofFromHash(old.ID, old.SecretHash, code)
			if subtle.ConstantTimeCompare([]byte(want), []byte(e.Proof)) != 1 {
				return ErrBadProof
			}
			replaces = old.ID
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		sec := make([]byte, 32)
		rand.Read(sec)
		resp = checkpoint.EnrollResponse{DeviceID: "dev-" + id.String(), Secret: base64.RawURLEncoding.EncodeToString(sec), SiteID: site, Replaces: replaces}
		sealed, err := sealAnswer(code, resp.Secret)
		if err != nil {
			return err
		}
		// The used_at = '' guard makes two racing enrollments with one code spend it once.
		res, err := tx.ExecContext(ctx, d.q(`UPDATE enroll_codes SET used_at = ?, device_id = ?, device_name = ?, answer = ? WHERE code_hash = ? AND used_at = ''`),
			ftime(now), resp.DeviceID, e.Name, sealed, ch)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrBadCode
		}
		if replaces != "" {
			if _, err := tx.ExecContext(ctx, d.q(`UPDATE devices SET revoked = 1 WHERE id = ?`), replaces); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, d.q(`INSERT INTO devices (id, name, site_id, secret_hash, created_at, revoked, replaces) VALUES (?,?,?,?,?,0,?)`),
			resp.DeviceID, e.Name, site, hashSecret(resp.Secret), ftime(now), replaces)
		return err
	})
	return resp, err
}

// retryAnswer answers a spent code again when the same device name asks within the window and
// the device made with it is still in force.
func (d *DB) retryAnswer(ctx context.Context, tx *sql.Tx, code string, e Enrollment, devID, usedName, answer string) (checkpoint.EnrollResponse, bool) {
	if answer == "" || usedName != e.Name || devID == "" {
		return checkpoint.EnrollResponse{}, false
	}
	dv, err := d.deviceTx(ctx, tx, devID)
	if err != nil || dv.Revoked || (e.Replaces != "" && e.Replaces != dv.Replaces) {
		return checkpoint.EnrollResponse{}, false
	}
	secret, err := openAnswer(code, answer)
	if err != nil || hashSecret(secret) != dv.SecretHash {
		return checkpoint.EnrollResponse{}, false
	}
	return checkpoint.EnrollResponse{DeviceID: dv.ID, Secret: secret, SiteID: dv.SiteID, Replaces: dv.Replaces}, true
}

// answerKey derives the key that seals an enrollment's secret from the code's secret part.
// HQ stores the code's SHA-256 only; this is a different hash, so neither gives the other.
func answerKey(code string) []byte {
	k := sha256.Sum256([]byte("checkpoint enroll answer v1\x00" + code))
	return k[:]
}

func sealAnswer(code, secret string) (string, error) {
	blk, err := aes.NewCipher(answerKey(code))
	if err != nil {
		return "", err
	}
	g, err := cipher.NewGCM(blk)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(secret), nil)), nil
}

func openAnswer(code, sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", err
	}
	blk, err := aes.NewCipher(answerKey(code))
	if err != nil {
		return "", err
	}
	g, err := cipher.NewGCM(blk)
	if err != nil {
		return "", err
	}
	if len(b) < g.NonceSize() {
		return "", errors.New("sealed answer too short")
	}
	pt, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], nil)
	return string(pt), err
}

const deviceCols = `id, name, site_id, secret_hash, created_at, revoked, replaces`

func scanDevice(sc interface{ Scan(...any) error }) (Device, error) {
	var dv Device
	var created string
	var revoked int
	if err := sc.Scan(&dv.ID, &dv.Name, &dv.SiteID, &dv.SecretHash, &created, &revoked, &dv.Replaces); err != nil {
		return dv, err
	}
	dv.CreatedAt, dv.Revoked = ptime(created), revoked != 0
	return dv, nil
}

func (d *DB) deviceTx(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, id string) (Device, error) {
	dv, err := scanDevice(q.QueryRowContext(ctx, d.q(`SELECT `+deviceCols+` FROM devices WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return dv, ErrNotFound
	}
	return dv, err
}

// Device returns an enrolled device.
func (d *DB) Device(ctx context.Context, id string) (Device, error) {
	dv, err := d.deviceTx(ctx, d.db, id)
	if err != nil {
		return dv, fmt.Errorf("sqldb: device: %w", err)
	}
	return dv, nil
}

// WithPredecessors returns dv with its chain of predecessors loaded, nearest first (at most
// MaxLineage; a device missing from HQ ends the chain).
func (d *DB) WithPredecessors(ctx context.Context, dv Device) (Device, error) {
	dv.Predecessors = nil
	seen := map[string]bool{dv.ID: true}
	next := dv.Replaces
	for next != "" && !seen[next] && len(dv.Predecessors) < MaxLineage {
		p, err := d.deviceTx(ctx, d.db, next)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return dv, fmt.Errorf("sqldb: predecessors: %w", err)
		}
		seen[next] = true
		dv.Predecessors = append(dv.Predecessors, p)
		next = p.Replaces
	}
	return dv, nil
}

// CheckSecret reports, in constant time, whether secret is the device's.
func (dv Device) CheckSecret(secret string) bool {
	got := hashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(dv.SecretHash)) == 1 && !dv.Revoked
}

// Devices returns every enrolled device, ordered by id, with ReplacedBy filled in.
func (d *DB) Devices(ctx context.Context) ([]Device, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: devices: %w", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		dv, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: devices: %w", err)
		}
		out = append(out, dv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: devices: %w", err)
	}
	by := make(map[string]int, len(out))
	for i, dv := range out {
		by[dv.ID] = i
	}
	// Ids are UUIDv7: in id order, a later successor overwrites an earlier one.
	for _, dv := range out {
		if i, ok := by[dv.Replaces]; ok && dv.Replaces != "" {
			out[i].ReplacedBy = dv.ID
		}
	}
	return out, nil
}

// RevokeDevice withdraws a device's credential (a lost or stolen kiosk).
func (d *DB) RevokeDevice(ctx context.Context, id string) error {
	return d.tx(ctx, "revoke device", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE devices SET revoked = 1 WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("device %q: %w", id, ErrNotFound)
		}
		return nil
	})
}

// NewEpoch replaces HQ's epoch (settings name) with a fresh random id and returns it: run after
// restoring HQ's database from a backup, so kiosks reset their cursors and resend what they
// still hold (docs/HQ.md "Backup").
func (d *DB) NewEpoch(ctx context.Context, name string) (string, error) {
	b := make([]byte, 10)
	rand.Read(b)
	e := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	if err := d.SetSetting(ctx, name, e); err != nil {
		return "", fmt.Errorf("sqldb: new epoch: %w", err)
	}
	return e, nil
}
