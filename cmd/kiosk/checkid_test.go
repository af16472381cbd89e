package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckID(t *testing.T) {
	tests := []struct {
		id   string
		want string // the whole JSON line
	}{
		{"220221199001011233", `{"valid":true,"error":"","masked":"220221********1233","birth":"1990-01-01","sex":"M","region":"220221","region_name":"吉林省吉林市永吉县","region_known":true}`},
		{"11010519491231002x", `{"valid":true,"error":"","masked":"110105********002X","birth":"1949-12-31","sex":"F","region":"110105","region_name":"北京市朝阳区","region_known":true}`},
		{"11010319900101123X", `{"valid":true,"error":"","masked":"110103********123X","birth":"1990-01-01","sex":"M","region":"110103","region_name":"北京市崇文区","region_known":true}`},
		{"220299199001011233", `{"valid":true,"error":"","masked":"220299********1233","birth":"1990-01-01","sex":"M","region":"220299","region_name":"未知地区（220299）","region_known":false}`},
		{"2202211990", `{"valid":false,"error":"length","masked":"","birth":"","sex":"","region":"","region_name":"","region_known":false,`},
		{"22022119900101123Y", `{"valid":false,"error":"character",`},
		{"220221199002301233", `{"valid":false,"error":"date",`},
		{"220221209001011233", `{"valid":false,"error":"date",`},
		{"990221199001011233", `{"valid":false,"error":"region",`},
		{"220221199001011234", `{"valid":false,"error":"check",`},
	}
	for _, tt := range tests {
		code, out, errs := dispatchTest(t, "check-id", "--now", "2022-03-15T10:00:00+08:00", tt.id)
		if code != 0 || !strings.HasPrefix(out, tt.want) {
			t.Errorf("check-id %s = %d, %q, stderr %q; want 0, %s", tt.id, code, out, errs, tt.want)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("check-id %s output %q: %v", tt.id, out, err)
		}
		if v["valid"] == true && strings.Contains(out, tt.id[6:14]) {
			t.Errorf("check-id %s output %q leaks the birth digits of the ID", tt.id, out)
		}
		if v["valid"] == false && (v["message_zh"] == "" || v["message_en"] == "") {
			t.Errorf("check-id %s output %q lacks messages", tt.id, out)
		}
	}
}

func TestCheckIDUsage(t *testing.T) {
	for _, args := range [][]string{{"check-id"}, {"check-id", "a", "b"}, {"check-id", "--bogus", "x"}, {"check-id", "--now", "x", "220221199001011233"}} {
		if code, out, errs := dispatchTest(t, args...); code != 2 || out != "" || errs == "" {
			t.Errorf("%q = %d, %q, %q; want 2 and a message", args, code, out, errs)
		}
	}
}
