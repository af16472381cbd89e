package hq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/sealbox"
)

// No code is not a pass (DESIGN §9): online, a kiosk asks HQ the colour of a person who shows
// no code; offline it refers them, and HQ re-checks such records when they arrive.

// personByResidentID finds the person HQ holds for an ID number, through HQ's own keyed hash.
func (s *Server) personByResidentID(ctx context.Context, id checkpoint.ResidentID) (sqldb.Person, error) {
	hk, err := s.personHashKey(ctx)
	if err != nil {
		return sqldb.Person{}, err
	}
	return s.db.PersonByIDHash(ctx, keyedHash(hk, id.Full()))
}

// handlePeopleStatus answers POST /api/v1/people/status: the colour and reason HQ holds for an
// ID number, nothing more. It is an oracle over ID numbers, so every device has a small budget
// of queries of its own, and the number comes in the body, never in a URL or a log.
func (s *Server) handlePeopleStatus(w http.ResponseWriter, r *http.Request, dev sqldb.Device) {
	if s.limited(w, s.statusLimiter, "dev:"+dev.ID) {
		return
	}
	var q checkpoint.PersonStatusQuery
	if !s.readJSON(w, r, &q) {
		return
	}
	id, err := checkpoint.ParseResidentID(q.IDNumber)
	if err != nil {
		s.badRequest(w, "bad_id_number", "身份证号无效 / invalid ID number ("+checkpoint.ErrorKind(err)+")")
		return
	}
	s.metrics.add(cntStatusQueries, 1)
	p, err := s.personByResidentID(r.Context(), id)
	if errors.Is(err, sqldb.ErrNotFound) {
		httpx.WriteJSON(w, http.StatusOK, checkpoint.PersonStatus{Known: false})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, checkpoint.PersonStatus{Known: true, Status: p.Status, Reason: p.Reason})
}

// openPersonal opens the personal data a kiosk sealed into record recordID; a box moved from
// another record does not open.
func openPersonal(priv []byte, recordID, sealed string) (checkpoint.Personal, error) {
	return sealbox.Open(priv, recordID, sealed)
}

// needsRecheck picks the records HQ re-checks on arrival: assisted registrations, and checks
// of someone who showed no code. It must stay cheap for ordinary checks, which are most of
// every batch: a check that carries a code id is never parsed.
func needsRecheck(rec checkpoint.Record) bool {
	switch rec.Kind {
	case checkpoint.KindRegistration:
		return true
	case checkpoint.KindCheck:
		return !bytes.Contains(rec.Body, []byte(`"code_id"`)) && bytes.Contains(rec.Body, []byte(`"sealed"`))
	}
	return false
}

// recheckBody is what re-checking reads from a registration or check body.
type recheckBody struct {
	CodeID  string   `json:"code_id"`
	Sealed  string   `json:"sealed"`
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons"`
}

// recheck looks up the person of every registration and no-code check HQ now holds (stored
// now, or before: a duplicate may be one stored by a run that stopped before its re-check) and
// lists those whose status is not green. A record HQ cannot open or whose ID number is not
// valid is counted and skipped; only a database failure is an error.
func (s *Server) recheck(ctx context.Context, recs []checkpoint.Record, outs []string) error {
	var cands []int
	for i, rec := range recs {
		if (outs[i] == checkpoint.ResultStored || outs[i] == checkpoint.ResultDuplicate) && needsRecheck(rec) {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	priv, err := s.SealPrivateKey(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	var list []sqldb.Recheck
	var unreadable int64
	for _, i := range cands {
		rec := recs[i]
		var b recheckBody
		if err := json.Unmarshal(rec.Body, &b); err != nil || b.CodeID != "" || b.Sealed == "" {
			if rec.Kind == checkpoint.KindRegistration {
				unreadable++
			}
			continue
		}
		p, err := openPersonal(priv, rec.ID, b.Sealed)
		if err != nil {
			unreadable++
			continue
		}
		if p.ID == "" && rec.Kind == checkpoint.KindCheck {
			continue // a check of someone with no ID number on record: nothing to look up
		}
		id, err := checkpoint.ParseResidentID(p.ID)
		if err != nil {
			unreadable++
			continue
		}
		person, err := s.personByResidentID(ctx, id)
		if errors.Is(err, sqldb.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if person.Status == string(checkpoint.StatusGreen) {
			continue
		}
		if b.Reasons == nil {
			b.Reasons = []string{}
		}
		list = append(list, sqldb.Recheck{RecordID: rec.ID, Kind: string(rec.Kind), DeviceID: rec.DeviceID, SiteID: rec.SiteID,
			StaffID: rec.StaffID, CreatedAt: rec.CreatedAt, PersonID: person.ID, IDMasked: id.Masked(), Status: person.Status,
			Reason: person.Reason, KioskVerdict: b.Verdict, KioskReasons: b.Reasons, ListedAt: now})
	}
	if unreadable > 0 {
		s.metrics.add(cntRecheckUnreadable, unreadable)
		s.log.Warn("hq: records without readable personal data could not be re-checked", slog.Int64("records", unreadable))
	}
	added, err := s.db.AddRechecks(ctx, list)
	if err != nil {
		return err
	}
	if added > 0 {
		s.metrics.add(cntRechecks, added)
		s.log.Info("hq: records listed for re-check", slog.Int64("records", added))
	}
	return nil
}

// maxRechecks bounds one answer of GET /api/v1/admin/rechecks.
const maxRechecks = 1000

func (s *Server) handleRechecks(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRechecks {
			s.badRequest(w, "bad_limit", fmt.Sprintf("limit 必须在 1 到 %d 之间 / limit must be 1 to %d", maxRechecks, maxRechecks))
			return
		}
		limit = n
	}
	list, err := s.db.Rechecks(r.Context(), limit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, list)
}
