package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

func init() {
	register("simulate", "record N synthetic checks through the kiosk store and print a JSON summary", runSimulate)
}

// simulateOutput is the JSON contract of "kiosk simulate".
type simulateOutput struct {
	Saved    int     `json:"saved"`
	Enrolled bool    `json:"enrolled"` // false: the records carry a made-up device and site, and no HQ will take them
	StaffID  string  `json:"staff_id"`
	MS       int64   `json:"ms"`     // wall time for all checks
	P50MS    float64 `json:"p50_ms"` // one SaveCheck, median
	P99MS    float64 `json:"p99_ms"`
	DB       string  `json:"db"`
}

// runSimulate saves --checks synthetic checks with store.SaveCheck, the path the kiosk window
// uses, into DIR/kiosk.db. On an enrolled kiosk the records carry its device and site and, unless
// --staff says otherwise, a scanner (else any active account) of its own site from the synced
// roster, so HQ accepts them like any other: use a scratch --data directory for load tests.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "kiosk data directory (holds kiosk.db)")
	n := fs.Int("checks", 100, "number of checks to record")
	staff := fs.String("staff", "", "staff id on the records (default: a scanner of the synced roster; sim-staff when not enrolled)")
	seed := fs.Uint64("seed", 1, "random seed for the synthetic people")
	const usage = "kiosk simulate: usage: kiosk simulate --data DIR [--checks N] [--staff ID] [--seed N]"
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *data == "" || *n < 0 {
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "kiosk simulate: %v\n", err)
		}
		fmt.Fprintln(stderr, usage)
		return 2
	}
	db, err := store.OpenDir(ctx, *data)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk simulate: %v\n", err)
		return 1
	}
	defer db.Close()
	meta := store.Meta{StaffID: *staff}
	enrolled := true
	dev, err := db.Device(ctx)
	switch {
	case errors.Is(err, store.ErrNotEnrolled):
		enrolled = false
		meta.DeviceID, meta.SiteID = "sim-device", "sim-site"
		if meta.StaffID == "" {
			meta.StaffID = "sim-staff"
		}
	case err != nil:
		fmt.Fprintf(stderr, "kiosk simulate: %v\n", err)
		return 1
	case meta.StaffID == "":
		if meta.StaffID, err = rosterStaff(ctx, db, dev.SiteID); err != nil {
			fmt.Fprintf(stderr, "kiosk simulate: %v\n", err)
			return 1
		}
	}
	r := rand.New(rand.NewPCG(*seed, 7))
	lat := make([]time.Duration, 0, *n)
	start := time.Now()
	for range *n {
		c, p := syntheticCheck(r)
		t := time.Now()
		if _, err := db.SaveCheck(ctx, meta, c, p); err != nil {
			fmt.Fprintf(stderr, "kiosk simulate: %v\n", err)
			return 1
		}
		lat = append(lat, time.Since(t))
	}
	out := simulateOutput{Saved: len(lat), Enrolled: enrolled, StaffID: meta.StaffID, MS: time.Since(start).Milliseconds(), DB: db.Path()}
	if len(lat) > 0 {
		slices.Sort(lat)
		out.P50MS = millis(lat[len(lat)/2])
		out.P99MS = millis(lat[min(len(lat)*99/100, len(lat)-1)])
	}
	return writeJSONLine(stdout, stderr, out)
}

// rosterStaff picks the account simulated checks are made by: an active scanner of the kiosk's
// own site, else any active account of the synced roster.
func rosterStaff(ctx context.Context, db *store.DB, siteID string) (string, error) {
	roster, err := db.Roster(ctx)
	if err != nil {
		return "", err
	}
	pick := ""
	for _, s := range roster {
		if !s.Active {
			continue
		}
		if s.SiteID == siteID && s.Role == checkpoint.RoleScanner {
			return s.ID, nil
		}
		if pick == "" {
			pick = s.ID
		}
	}
	if pick == "" {
		return "", errors.New("本机名单中没有可用的工作人员，请先同步或用 --staff 指定 / the synced roster has no active staff: sync first or name one with --staff")
	}
	return pick, nil
}

var simSurnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
var simGiven = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚")

// syntheticCheck makes a plausible check of a made-up person with a valid resident ID number.
func syntheticCheck(r *rand.Rand) (checkpoint.Check, checkpoint.Personal) {
	regions := []string{"220221", "220221", "220221", "220102", "110101", "310104"}
	id := simResidentID(r, regions[r.IntN(len(regions))])
	name := string(simSurnames[r.IntN(len(simSurnames))]) + string(simGiven[r.IntN(len(simGiven))])
	if r.IntN(2) == 0 {
		name += string(simGiven[r.IntN(len(simGiven))])
	}
	p := checkpoint.Personal{Name: name, ID: id, Phone: fmt.Sprintf("13%09d", r.IntN(1_000_000_000))}
	verdict, reasons := "pass", []string{"green_code"}
	temp := 360 + r.IntN(12)
	if r.IntN(50) == 0 {
		temp = 375
		verdict, reasons = "refer", []string{"fever"}
	}
	c := checkpoint.Check{
		CodeID: fmt.Sprintf("%016x", r.Uint64()), CodeKind: "live", KeyID: "sim",
		NameMasked: checkpoint.MaskName(name), Household: id[:6], CodeStatus: "green",
		Verdict: verdict, Reasons: reasons, TempTenths: temp,
	}
	if rid, err := checkpoint.ParseResidentID(id); err == nil {
		c.IDMasked = rid.Masked()
	}
	return c, p
}

// simResidentID builds an 18-character ID number with a valid GB 11643 check character.
func simResidentID(r *rand.Rand, region string) string {
	birth := time.Date(1950+r.IntN(55), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	body := fmt.Sprintf("%s%s%03d", region, birth.Format("20060102"), r.IntN(1000))
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}
