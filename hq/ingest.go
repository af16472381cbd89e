package hq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// snapshot is the site tree and the staff roster at one pair of dataset versions. It is
// shared read-only; a batch that adds sites or staff layers its own overlay on top.
type snapshot struct {
	sitesVer, staffVer int64
	parent             map[string]string // site id → parent id ("" for a root)
	sites              []checkpoint.Site
	staff              map[string]checkpoint.Staff
	staffList          []checkpoint.Staff
}

type snapshotCache struct {
	mu  sync.Mutex
	cur *snapshot
}

// snapshot returns the tree and roster at the current versions, reloading when they changed.
// current returns the dataset versions and the site/staff snapshot they describe.
func (s *Server) current(ctx context.Context) (map[string]int64, *snapshot, error) {
	vers, err := s.db.Versions(ctx)
	if err != nil {
		return nil, nil, err
	}
	sn, err := s.snapshot(ctx, vers)
	return vers, sn, err
}

func (s *Server) snapshot(ctx context.Context, vers map[string]int64) (*snapshot, error) {
	sv, tv := vers[checkpoint.DatasetSites], vers[checkpoint.DatasetStaff]
	s.snap.mu.Lock()
	defer s.snap.mu.Unlock()
	if c := s.snap.cur; c != nil && c.sitesVer == sv && c.staffVer == tv {
		return c, nil
	}
	sites, err := s.db.Sites(ctx)
	if err != nil {
		return nil, err
	}
	staff, err := s.db.AllStaff(ctx)
	if err != nil {
		return nil, err
	}
	n := &snapshot{sitesVer: sv, staffVer: tv, parent: make(map[string]string, len(sites)), sites: sites,
		staff: make(map[string]checkpoint.Staff, len(staff))}
	for _, x := range sites {
		n.parent[x.ID] = x.ParentID
	}
	for _, x := range staff {
		n.staff[x.ID] = x.Staff
		n.staffList = append(n.staffList, x.Staff)
	}
	s.snap.cur = n
	return n, nil
}

// maxDepth bounds walks up the site tree (and so any cycle a bad edit might have made).
const maxDepth = 64

// under reports whether site x exists and is root or lies below root, through parent.
func under(parent func(string) (string, bool), x, root string) bool {
	for i := 0; i < maxDepth; i++ {
		p, ok := parent(x)
		if !ok {
			return false
		}
		if x == root {
			return true
		}
		if p == "" {
			return false
		}
		x = p
	}
	return false
}

// subtree returns root's site and every site below it, in id order.
func (sn *snapshot) subtree(root string) []checkpoint.Site {
	out := []checkpoint.Site{}
	for _, x := range sn.sites {
		if under(sn.parentOf, x.ID, root) {
			out = append(out, x)
		}
	}
	return out
}

func (sn *snapshot) parentOf(id string) (string, bool) {
	p, ok := sn.parent[id]
	return p, ok
}

// batchView is a snapshot plus the sites and staff that earlier records of the same batch
// add, so that a supervisor may add a sub-site and its staff in one push.
type batchView struct {
	sn     *snapshot
	parent map[string]string
	staff  map[string]checkpoint.Staff
}

func (v *batchView) parentOf(id string) (string, bool) {
	if p, ok := v.parent[id]; ok {
		return p, true
	}
	return v.sn.parentOf(id)
}

func (v *batchView) staffOf(id string) (checkpoint.Staff, bool) {
	if st, ok := v.staff[id]; ok {
		return st, true
	}
	st, ok := v.sn.staff[id]
	return st, ok
}

// rejection is why one record is refused.
type rejection struct{ code, msg string }

func (r *rejection) result(id string) checkpoint.RecordResult {
	return checkpoint.RecordResult{ID: id, Status: checkpoint.ResultRejected, Error: r.code, Message: r.msg}
}

func reject(code, msg string) *rejection { return &rejection{code, msg} }

// malformed reports a rejection for the record's shape rather than for who sent it: HQ cannot
// store such a record, so it goes back to the kiosk's quarantine. Every other rejection holds the
// record at HQ for an operator.
func (r *rejection) malformed() bool {
	switch r.code {
	case "invalid_record", "invalid_body", "invalid_site", "invalid_staff":
		return true
	}
	return false
}

// wellFormed stands in for a body that is already known to be well-formed JSON.
var wellFormed = json.RawMessage("0")

// validateDecoded is rec.Validate for a record from decodeBatch, whose body is known to be
// well-formed JSON: it skips Validate's json.Valid rescan of the body and is otherwise the same
// check, with the same errors.
func validateDecoded(rec checkpoint.Record) error {
	if n := len(rec.Body); n > 0 && n <= checkpoint.MaxRecordBodyBytes {
		rec.Body = wellFormed
	}
	return rec.Validate()
}

// authorize decides whether device dev may hand in rec, a record from decodeBatch; it extends v
// with sites and staff the record adds. A staff_add that passes every rule here goes to
// staffAdd last, which makes HQ's account from it (or refuses it).
func authorize(dev sqldb.Device, v *batchView, rec checkpoint.Record, staffAdd func(checkpoint.Record, checkpoint.StaffAdd) *rejection) *rejection {
	if err := validateDecoded(rec); err != nil {
		return reject("invalid_record", "记录格式无效 / invalid record: "+strings.TrimPrefix(err.Error(), "invalid record: "))
	}
	// A re-enrolled kiosk hands in what its predecessors queued: each such record is judged
	// as the device that made it (its site), and keeps its device_id.
	maker, ok := dev.Made(rec.DeviceID)
	if !ok {
		return reject("device_mismatch", "记录不是本设备产生的 / record's device_id is not this device")
	}
	dev = maker
	if !under(v.parentOf, rec.SiteID, dev.SiteID) {
		return reject("site_not_allowed", "本设备无权提交该站点的记录 / this device may not act for that site")
	}
	var st checkpoint.Staff
	if rec.StaffID == "" {
		if rec.Kind != checkpoint.KindStaffEvent {
			return reject("staff_required", "记录缺少工作人员 / record has no staff_id")
		}
	} else {
		var ok bool
		st, ok = v.staffOf(rec.StaffID)
		if !ok || !under(v.parentOf, st.SiteID, dev.SiteID) {
			return reject("staff_not_allowed", "该工作人员不属于本设备的站点 / staff not on this device's roster")
		}
		if !st.Active {
			return reject("staff_inactive", "该工作人员账号已停用 / staff account is disabled")
		}
	}
	switch rec.Kind {
	case checkpoint.KindSiteEdit:
		if st.Role != checkpoint.RoleSupervisor {
			return reject("not_supervisor", "只有站点管理员可以编辑站点 / only a supervisor may edit sites")
		}
		var e checkpoint.SiteEdit
		if err := json.Unmarshal(rec.Body, &e); err != nil {
			return reject("invalid_body", "站点记录内容无效 / site_edit body invalid")
		}
		if err := e.Site.Validate(); err != nil {
			return reject("invalid_site", "站点信息不完整或无效 / "+err.Error())
		}
		site := e.Site
		curParent, exists := v.parentOf(site.ID)
		switch {
		case exists && !under(v.parentOf, site.ID, st.SiteID):
			return reject("site_edit_not_allowed", "该站点不在您的管理范围内 / site is outside the supervisor's subtree")
		case exists && site.ID == st.SiteID && site.ParentID != curParent:
			return reject("site_edit_not_allowed", "不能移动自己所在的站点 / a supervisor cannot move their own site")
		case site.ID != st.SiteID && (site.ParentID == "" || !under(v.parentOf, site.ParentID, st.SiteID)):
			return reject("site_edit_not_allowed", "上级站点不在您的管理范围内 / parent site is outside the supervisor's subtree")
		case exists && site.ParentID != curParent && under(v.parentOf, site.ParentID, site.ID):
			return reject("site_edit_not_allowed", "不能把站点移到它自己的下级 / a site cannot move below itself")
		}
		v.parent[site.ID] = site.ParentID
	case checkpoint.KindStaffAdd:
		if st.Role != checkpoint.RoleSupervisor {
			return reject("not_supervisor", "只有站点管理员可以添加扫码员 / only a supervisor may add staff")
		}
		var e checkpoint.StaffAdd
		if err := json.Unmarshal(rec.Body, &e); err != nil {
			return reject("invalid_body", "扫码员记录内容无效 / staff_add body invalid")
		}
		a := e.Staff
		if err := a.Validate(); err != nil {
			return reject("invalid_staff", "扫码员信息无效 / "+err.Error())
		}
		if a.Role != checkpoint.RoleScanner {
			return reject("role_not_allowed", "站点管理员只能添加扫码员 / a supervisor may add scanner staff only")
		}
		if !strings.HasPrefix(a.PasswordHash, "$argon2id$") {
			return reject("invalid_staff", "密码哈希格式无效 / password_hash must be an argon2id PHC string")
		}
		if !under(v.parentOf, a.SiteID, st.SiteID) {
			return reject("staff_add_not_allowed", "该站点不在您的管理范围内 / staff site is outside the supervisor's subtree")
		}
		if old, ok := v.staffOf(a.ID); ok {
			// Only scanner accounts may be changed from a kiosk: overwriting a supervisor
			// (one below, or oneself) with a scanner entry and a chosen password would take
			// the account over.
			if old.Role != checkpoint.RoleScanner {
				return reject("staff_add_not_allowed", "不能从检查站修改站点管理员账号 / a supervisor account cannot be changed from a kiosk")
			}
			if !under(v.parentOf, old.SiteID, st.SiteID) {
				return reject("staff_add_not_allowed", "该工作人员账号属于其他站点 / that staff account belongs elsewhere")
			}
		}
		if rj := staffAdd(rec, e); rj != nil {
			return rj
		}
		v.staff[a.ID] = a
	}
	return nil
}

// decodeBatch parses a PushRequest strictly, keeping each body's bytes exactly as sent. Every
// body it returns is well-formed JSON.
func decodeBatch(data []byte) (checkpoint.PushRequest, error) {
	if req, ok := fastBatch(data); ok {
		return req, nil
	}
	return decodeBatchStd(data)
}

// decodeBatchStd is decodeBatch through encoding/json, for every shape fastBatch gives up on.
func decodeBatchStd(data []byte) (checkpoint.PushRequest, error) {
	var req checkpoint.PushRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, err
	}
	if dec.More() {
		return req, errors.New("unexpected data after the JSON value")
	}
	return req, nil
}

func (s *Server) handleBatches(w http.ResponseWriter, r *http.Request, dev sqldb.Device) {
	data, ok := s.readBody(w, r, checkpoint.MaxBatchBytes)
	if !ok {
		return
	}
	req, err := decodeBatch(data)
	if err != nil {
		s.metrics.add(cntBadRequest, 1)
		httpx.WriteError(w, http.StatusBadRequest, "bad_json", "批次不是有效的 JSON 或含有未知字段 / invalid batch JSON: "+httpx.JSONErrText(err))
		return
	}
	if req.Records == nil {
		s.metrics.add(cntBadRequest, 1)
		httpx.WriteError(w, http.StatusBadRequest, "bad_batch", "批次缺少 records / batch has no records array")
		return
	}
	if len(req.Records) > checkpoint.MaxBatchRecords {
		s.metrics.add(cntBadRequest, 1)
		httpx.WriteError(w, http.StatusBadRequest, "batch_too_long",
			fmt.Sprintf("一批最多 %d 条记录 / at most %d records per batch", checkpoint.MaxBatchRecords, checkpoint.MaxBatchRecords))
		return
	}
	ctx := r.Context()
	if dev.Replaces != "" {
		if dev, err = s.db.WithPredecessors(ctx, dev); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	vers, sn, err := s.current(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ctx = s.withFever(ctx, vers) // the day counters' fevers (sqldb.DayCounters)
	view := &batchView{sn: sn, parent: map[string]string{}, staff: map[string]checkpoint.Staff{}}
	results := make([]checkpoint.RecordResult, len(req.Records))
	accepted := make([]checkpoint.Record, 0, len(req.Records))
	hold := make([]string, 0, len(req.Records))
	holdMsg := map[string]string{}
	idx := make([]int, 0, len(req.Records))
	var rejected, held int64
	adds := s.newStaffAdds()
	recv := s.now()
	past := &asOf{db: s.db}
	for i, rec := range req.Records {
		// A record is judged only to decide accepted or held: either way HQ keeps it, and one it
		// already holds is a duplicate whatever the roster says now (IngestHeld). Only a record HQ
		// cannot store at all goes back to the kiosk's quarantine. Today's roster decides the
		// common case; only a record it would hold is judged again as of when it was made.
		reason := ""
		rj := authorize(dev, view, rec, func(r checkpoint.Record, e checkpoint.StaffAdd) *rejection { return adds.add(ctx, r, e) })
		if rj != nil && judgedAsOf(rec, rj) {
			ok, err := past.allowed(ctx, dev, rec, recv)
			if err != nil {
				s.internal(w, r, err)
				return
			}
			if ok {
				rj = nil
			}
		}
		if rj != nil {
			if rj.malformed() {
				results[i] = rj.result(rec.ID)
				rejected++
				continue
			}
			reason = rj.code
			holdMsg[rec.ID] = rj.msg
		}
		accepted = append(accepted, rec)
		hold = append(hold, reason)
		idx = append(idx, i)
	}
	outs, decided, err := s.db.IngestDecided(ctx, accepted, hold, adds.accounts, recv)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// A failed re-check fails the push: the kiosk sends the batch again, its records come
	// back duplicate, and are re-checked then.
	if err := s.recheck(ctx, accepted, outs); err != nil {
		s.internal(w, r, err)
		return
	}
	var conflicts, superseded int64
	for j, st := range outs {
		i := idx[j]
		results[i] = checkpoint.RecordResult{ID: req.Records[i].ID, Status: st}
		switch st {
		case checkpoint.ResultHeld:
			held++
			results[i].Error = hold[j]
			results[i].Message = holdMsg[req.Records[i].ID]
		case checkpoint.ResultConflict:
			conflicts++
			results[i].Error = "conflict"
			results[i].Message = "总部已有同一编号但内容不同的记录 / HQ holds a different record under this id"
		case checkpoint.ResultSuperseded:
			superseded++
			results[i].Error = "superseded"
			results[i].Message = supersededMessage(req.Records[i])
		case checkpoint.ResultRejected:
			rejected++
			if d, ok := decided[req.Records[i].ID]; ok {
				results[i].Error = "held_rejected"
				results[i].Message = heldRejectedMessage(d)
				continue
			}
			results[i].Error = "store_refused"
			results[i].Message = "总部数据库无法保存该记录的内容 / HQ's database cannot store this record's content"
			s.log.Warn("hq: record refused by the database", slog.String("device", dev.ID), slog.String("record", req.Records[i].ID))
		}
	}
	s.metrics.add(cntRecordHeld, held)
	s.metrics.add(cntRecordRejected, rejected)
	s.metrics.add(cntConflict, conflicts)
	s.metrics.add(cntSuperseded, superseded)
	if rejected > 0 || conflicts > 0 || held > 0 {
		s.log.Info("hq: batch had refused or held records", slog.String("device", dev.ID),
			slog.Int("records", len(req.Records)), slog.Int64("rejected", rejected), slog.Int64("held", held), slog.Int64("conflicts", conflicts))
	}
	httpx.WriteJSON(w, http.StatusOK, checkpoint.PushResponse{Results: results})
}

// heldRejectedMessage tells the kiosk that an operator rejected the record when HQ held it: when,
// and the operator's note. The kiosk quarantines it; sending it again changes nothing.
func heldRejectedMessage(d sqldb.HeldDecision) string {
	day := d.DecidedAt.In(checkpoint.ChinaTime).Format("2006-01-02")
	return fmt.Sprintf("总部操作员已于 %s 驳回该记录（暂存原因 %s）：%s / an HQ operator rejected this held record on %s (held for %s): %s",
		day, d.Reason, d.Note, day, d.Reason, d.Note)
}

// supersededMessage tells the supervisor which edit of theirs HQ did not apply.
func supersededMessage(rec checkpoint.Record) string {
	switch rec.Kind {
	case checkpoint.KindSiteEdit:
		var e checkpoint.SiteEdit
		_ = json.Unmarshal(rec.Body, &e)
		return fmt.Sprintf("您对站点「%s」的修改未生效：总部已有更新的版本 / your edit of site %q did not take effect: HQ has a newer version", e.Site.Name, e.Site.Name)
	default:
		var e checkpoint.StaffAdd
		_ = json.Unmarshal(rec.Body, &e)
		return fmt.Sprintf("您对工作人员「%s」的修改未生效：总部已有更新的版本 / your edit of staff member %q did not take effect: HQ has a newer version", e.Staff.NameMasked, e.Staff.NameMasked)
	}
}
