package hq

import (
	"encoding/json"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// This file is a fast path for decoding a PushRequest. encoding/json scans a batch twice (once
// to find the value, once to decode it) and every record body a third time when
// Record.Validate calls json.Valid; at 1000 records a batch that was the largest CPU cost of
// ingest. fastBatch reads the one shape a kiosk sends — exact field names, each once, plain
// ASCII strings without escapes, object bodies — in one pass, checking each body's syntax as it
// goes. Anything else (escapes, other case, duplicate or unknown fields, nulls, wrong types,
// trailing data) makes it give up, and decodeBatch falls back to encoding/json, so both paths
// give the same answer for every input (FuzzFastBatch checks this).

// fastBatch decodes data when it has the common shape; ok is false when it does not, and the
// caller must then use encoding/json. Bodies alias data.
func fastBatch(data []byte) (req checkpoint.PushRequest, ok bool) {
	p := &batchParser{data: data}
	p.ws()
	if !p.lit('{') {
		return req, false
	}
	p.ws()
	if key, ok := p.str(); !ok || key != "records" {
		return req, false
	}
	p.ws()
	if !p.lit(':') {
		return req, false
	}
	p.ws()
	if !p.lit('[') {
		return req, false
	}
	req.Records = make([]checkpoint.Record, 0, min(checkpoint.MaxBatchRecords, len(data)/256+1))
	p.ws()
	if !p.lit(']') {
		for {
			rec, ok := p.record()
			if !ok {
				return req, false
			}
			req.Records = append(req.Records, rec)
			p.ws()
			if p.lit(']') {
				break
			}
			if !p.lit(',') {
				return req, false
			}
			p.ws()
		}
	}
	p.ws()
	if !p.lit('}') {
		return req, false
	}
	p.ws()
	return req, p.i == len(p.data)
}

type batchParser struct {
	data []byte
	i    int
}

func (p *batchParser) ws() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// lit consumes the byte c if it is next.
func (p *batchParser) lit(c byte) bool {
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes, which encoding/json would decode to
// the same bytes.
func (p *batchParser) str() (string, bool) {
	if !p.lit('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			s := string(p.data[start:p.i])
			p.i++
			return s, true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return "", false
		}
		p.i++
	}
	return "", false
}

// record reads one record object with each known field at most once.
func (p *batchParser) record() (checkpoint.Record, bool) {
	var r checkpoint.Record
	if !p.lit('{') {
		return r, false
	}
	p.ws()
	if p.lit('}') {
		return r, true
	}
	var seen uint8
	for {
		key, ok := p.str()
		if !ok {
			return r, false
		}
		p.ws()
		if !p.lit(':') {
			return r, false
		}
		p.ws()
		var bit uint8
		switch key {
		case "id":
			bit = 1
			r.ID, ok = p.str()
		case "kind":
			bit = 2
			var k string
			k, ok = p.str()
			r.Kind = checkpoint.RecordKind(k)
		case "device_id":
			bit = 4
			r.DeviceID, ok = p.str()
		case "site_id":
			bit = 8
			r.SiteID, ok = p.str()
		case "staff_id":
			bit = 16
			r.StaffID, ok = p.str()
		case "created_at":
			bit = 32
			start := p.i
			if _, ok = p.str(); ok {
				// The same method encoding/json calls, on the same bytes.
				ok = (*time.Time).UnmarshalJSON(&r.CreatedAt, p.data[start:p.i]) == nil
			}
		case "body":
			bit = 64
			start := p.i
			if p.i < len(p.data) && p.data[p.i] == '{' {
				ok = p.value(0)
			} else {
				ok = false
			}
			r.Body = json.RawMessage(p.data[start:p.i:p.i])
		default:
			return r, false
		}
		if !ok || seen&bit != 0 {
			return r, false
		}
		seen |= bit
		p.ws()
		if p.lit('}') {
			return r, true
		}
		if !p.lit(',') {
			return r, false
		}
		p.ws()
	}
}

// maxBodyDepth bounds nesting in a body; deeper bodies go to encoding/json.
const maxBodyDepth = 64

// value skips one JSON value (RFC 8259), reporting whether it is well formed.
func (p *batchParser) value(depth int) bool {
	if p.i >= len(p.data) || depth > maxBodyDepth {
		return false
	}
	switch c := p.data[p.i]; {
	case c == '{':
		p.i++
		p.ws()
		if p.lit('}') {
			return true
		}
		for {
			if !p.anyString() {
				return false
			}
			p.ws()
			if !p.lit(':') {
				return false
			}
			p.ws()
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.lit('}') {
				return true
			}
			if !p.lit(',') {
				return false
			}
			p.ws()
		}
	case c == '[':
		p.i++
		p.ws()
		if p.lit(']') {
			return true
		}
		for {
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.lit(']') {
				return true
			}
			if !p.lit(',') {
				return false
			}
			p.ws()
		}
	case c == '"':
		return p.anyString()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return p.word("true")
	case c == 'f':
		return p.word("false")
	case c == 'n':
		return p.word("null")
	}
	return false
}

// anyString skips a JSON string. Like encoding/json it takes any byte from 0x20 up unescaped
// (bodies are stored as sent, so invalid UTF-8 stays as it is on both paths).
func (p *batchParser) anyString() bool {
	if !p.lit('"') {
		return false
	}
	for p.i < len(p.data) {
		c := p.data[p.i]
		p.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if p.i >= len(p.data) {
				return false
			}
			e := p.data[p.i]
			p.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if p.i+4 > len(p.data) {
					return false
				}
				for _, h := range p.data[p.i : p.i+4] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				p.i += 4
			default:
				return false
			}
		}
	}
	return false
}

func (p *batchParser) digits() int {
	n := 0
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// number skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *batchParser) number() bool {
	p.lit('-')
	if p.lit('0') {
		// no more integer digits after a leading zero
	} else if p.i < len(p.data) && p.data[p.i] >= '1' && p.data[p.i] <= '9' {
		p.digits()
	} else {
		return false
	}
	if p.lit('.') && p.digits() == 0 {
		return false
	}
	if p.lit('e') || p.lit('E') {
		if !p.lit('+') {
			p.lit('-')
		}
		if p.digits() == 0 {
			return false
		}
	}
	return true
}

func (p *batchParser) word(w string) bool {
	if len(p.data)-p.i < len(w) || string(p.data[p.i:p.i+len(w)]) != w {
		return false
	}
	p.i += len(w)
	return true
}
