package console

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// 待处理记录: the records HQ holds without having accepted them, with the reason; ops and
// admin accept one with a note or reject it; everyone may export the list as CSV (ids, sites,
// kiosks and reasons: no personal data).

type heldBody struct {
	Held      []sqldb.HeldRecord
	More      bool
	Decisions []sqldb.HeldDecision
	CanEdit   bool
}

func (h *handler) renderHeld(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey, notice string) {
	ctx := r.Context()
	held, err := h.core.Held(ctx, "")
	if err != nil {
		h.internal(w, r, err)
		return
	}
	dec, err := h.db.HeldDecisions(ctx, 20)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	b := heldBody{Held: held, More: len(held) == hq.HeldPage, Decisions: dec, CanEdit: op.Role.Can(PermHeld)}
	h.render(w, r, status, pageData{Page: "held", Nav: "held", Op: op, Error: errKey, Notice: notice, Body: b})
}

func (h *handler) heldPage(w http.ResponseWriter, r *http.Request, op Operator) {
	h.renderHeld(w, r, op, http.StatusOK, "", "")
}

func (h *handler) heldDecide(accept bool) func(http.ResponseWriter, *http.Request, Operator) {
	return func(w http.ResponseWriter, r *http.Request, op Operator) {
		if !form(w, r, maxForm) {
			h.fail(w, r, http.StatusBadRequest, "err_form")
			return
		}
		id := r.PostFormValue("id")
		d, err := h.core.DecideHeld(r.Context(), id, accept, r.PostFormValue("note"), op.Name)
		switch {
		case errors.Is(err, hq.ErrBadInput):
			h.renderHeld(w, r, op, http.StatusBadRequest, "err_held_note", "")
			return
		case errors.Is(err, hq.ErrHeldMissing):
			h.renderHeld(w, r, op, http.StatusNotFound, "err_held_gone", "")
			return
		case err != nil:
			h.internal(w, r, err)
			return
		}
		action, notice := hq.AuditHeldReject, "notice_rejected"
		if accept {
			action, notice = hq.AuditHeldAccept, "notice_accepted"
		}
		h.audit(r, op, action, d.RecordID, map[string]string{"held": d.Reason}, map[string]string{"decision": d.Decision, "note": d.Note})
		h.renderHeld(w, r, op, http.StatusOK, "", notice)
	}
}

// heldCSV exports every held record (paging through the core's list).
func (h *handler) heldCSV(w http.ResponseWriter, r *http.Request, _ Operator) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // so spreadsheet programs read UTF-8
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"id", "kind", "device_id", "site_id", "staff_id", "created_at", "received_at", "reason"})
	for after := ""; ; {
		page, err := h.core.Held(r.Context(), after)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		for _, x := range page {
			cw.Write([]string{csvCell(x.ID), csvCell(string(x.Kind)), csvCell(x.DeviceID), csvCell(x.SiteID), csvCell(x.StaffID),
				x.CreatedAt.UTC().Format(time.RFC3339), x.ReceivedAt.UTC().Format(time.RFC3339), csvCell(x.Reason)})
		}
		if len(page) < hq.HeldPage {
			break
		}
		after = page[len(page)-1].ID
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="held-%s.csv"`, h.cfg.Now().In(checkpoint.ChinaTime).Format("20060102-150405")))
	w.Write(buf.Bytes())
}
