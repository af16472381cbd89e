package httpx

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
)

func decodeError(t *testing.T, rr *httptest.ResponseRecorder) checkpoint.ErrorResponse {
	t.Helper()
	if ct := rr.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	var e checkpoint.ErrorResponse
	if err := json.Unmarshal(rr.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", rr.Body, err)
	}
	if e.Message == "" || !strings.Contains(e.Message, "/ ") {
		t.Fatalf("message %q: want Chinese / English", e.Message)
	}
	return e
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadBody(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 2000)
	cases := []struct {
		name     string
		body     []byte
		encoding string
		status   int    // 0: read
		code     string // error code
		tooLarge bool
	}{
		{"plain within the limit", []byte(`{"a":1}`), "", 0, "", false},
		{"gzip within the limit", gz(t, []byte(`{"a":1}`)), "gzip", 0, "", false},
		{"identity", []byte("x"), "Identity", 0, "", false},
		{"plain over the limit", big, "", 413, "too_large", true},
		{"gzip bomb: small compressed, large decoded", gz(t, big), "gzip", 413, "too_large", true},
		{"not gzip", []byte("plain text"), "gzip", 400, "bad_encoding", false},
		{"other encoding", []byte("x"), "br", 415, "unsupported_encoding", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(c.body))
		if c.encoding != "" {
			r.Header.Set("Content-Encoding", c.encoding)
		}
		rr := httptest.NewRecorder()
		data, err := ReadBody(rr, r, 1000)
		if c.status == 0 {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if len(data) == 0 || rr.Body.Len() != 0 {
				t.Errorf("%s: read %q, answered %q", c.name, data, rr.Body)
			}
			continue
		}
		if err == nil || rr.Code != c.status || errors.Is(err, ErrTooLarge) != c.tooLarge {
			t.Errorf("%s: err %v, status %d; want status %d, too large %v", c.name, err, rr.Code, c.status, c.tooLarge)
			continue
		}
		if e := decodeError(t, rr); e.Error != c.code {
			t.Errorf("%s: code %q; want %q", c.name, e.Error, c.code)
		}
	}
}

func TestReadJSONStrict(t *testing.T) {
	type req struct {
		A int `json:"a"`
	}
	for body, ok := range map[string]bool{
		`{"a":1}`:         true,
		` {"a":1} `:       true,
		`{"a":1,"b":2}`:   false, // unknown field
		`{"a":1}{"a":2}`:  false, // trailing value
		`{"a":1} x`:       false,
		`{"a":"1"}`:       false,
		``:                false,
		`[1]`:             false,
		`{"a":1}` + "\n":  true,
		`{"a":1}` + "\n}": false,
	} {
		var v req
		rr := httptest.NewRecorder()
		err := ReadJSON(rr, httptest.NewRequest("POST", "/", strings.NewReader(body)), MaxSmallBody, &v)
		if (err == nil) != ok {
			t.Errorf("%q: err %v; want ok=%v", body, err, ok)
			continue
		}
		if ok && v.A != 1 {
			t.Errorf("%q: decoded %+v", body, v)
		}
		if !ok {
			if e := decodeError(t, rr); rr.Code != 400 || e.Error != "bad_json" {
				t.Errorf("%q: %d %q; want 400 bad_json", body, rr.Code, e.Error)
			}
		}
	}
}

func TestJSONErrTextBounded(t *testing.T) {
	if got := JSONErrText(errors.New("json: " + strings.Repeat("x", 500))); !strings.HasPrefix(got, "xxx") || len(got) > 210 {
		t.Fatalf("JSONErrText = %d bytes %q…; want the prefix dropped and at most 200 bytes and an ellipsis", len(got), got[:10])
	}
}

func TestWriteJSON(t *testing.T) {
	rr := httptest.NewRecorder()
	WriteJSON(rr, 201, map[string]int{"n": 1})
	if rr.Code != 201 || rr.Body.String() != "{\"n\":1}\n" || rr.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("WriteJSON: %d %q %v", rr.Code, rr.Body, rr.Header())
	}
	rr = httptest.NewRecorder()
	WriteJSON(rr, 200, func() {}) // cannot be encoded
	if e := decodeError(t, rr); rr.Code != 500 || e.Error != "internal" {
		t.Fatalf("unencodable value: %d %q; want 500 internal", rr.Code, e.Error)
	}
}
