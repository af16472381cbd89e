package sms

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeReply is what a fake provider answers to the next request.
type fakeReply struct {
	status int
	body   string
	hang   bool // hold the request until the client gives up or the test ends
}

// fakeProvider is a local stand-in of a provider's HTTP API: it records every request as the
// SDK sent it and answers with the reply set.
type fakeProvider struct {
	t       *testing.T
	srv     *httptest.Server
	release chan struct{}

	mu      sync.Mutex
	reply   fakeReply
	reqs    []fakeRequest
	parseFn func(r *http.Request, body []byte) (map[string]any, error)
}

type fakeRequest struct {
	header http.Header
	raw    string         // query string and body, to look for secrets
	params map[string]any // the API's parameters, parsed the provider's way
}

func newFake(t *testing.T, parse func(r *http.Request, body []byte) (map[string]any, error)) *fakeProvider {
	f := &fakeProvider{t: t, release: make(chan struct{}), parseFn: parse}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.release) }) // runs before Close: a hanging handler returns
	return f
}

func (f *fakeProvider) set(r fakeReply) {
	f.mu.Lock()
	f.reply = r
	f.mu.Unlock()
}

func (f *fakeProvider) requests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.reqs...)
}

func (f *fakeProvider) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	params, err := f.parseFn(r, body)
	if err != nil {
		f.t.Errorf("fake provider: unparsable request: %v", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, fakeRequest{header: r.Header.Clone(), raw: r.URL.RawQuery + "\n" + string(body), params: params})
	rep := f.reply
	f.mu.Unlock()
	if rep.hang {
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
		return
	}
	if strings.HasPrefix(rep.body, "{") {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/plain")
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

// parseAliyun reads an RPC-style request as dysmsapi v5 sends it (signature V3): the API's
// parameters in the query string (or the form), the action and version in x-acs-* headers (or
// the query, signature V2), the AccessKey ID in the Authorization header (or the query).
func parseAliyun(r *http.Request, body []byte) (map[string]any, error) {
	q := r.URL.Query()
	if len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			q[k] = v
		}
	}
	out := map[string]any{"_method": r.Method, "_path": r.URL.Path}
	for k := range q {
		out[k] = q.Get(k)
	}
	for k, h := range map[string]string{"Action": "x-acs-action", "Version": "x-acs-version"} {
		if v := r.Header.Get(h); v != "" && out[k] == nil {
			out[k] = v
		}
	}
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "ACS3-HMAC-SHA256 Credential=") {
		rest := strings.TrimPrefix(a, "ACS3-HMAC-SHA256 Credential=")
		id, _, _ := strings.Cut(rest, ",")
		out["AccessKeyId"] = id
		if _, sig, ok := strings.Cut(rest, "Signature="); ok {
			out["Signature"] = sig
		}
	}
	return out, nil
}

// parseTencent reads an API 3.0 request: a JSON body, the action and version in headers.
func parseTencent(r *http.Request, body []byte) (map[string]any, error) {
	out := map[string]any{}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err
	}
	out["_method"] = r.Method
	out["_action"] = r.Header.Get("X-TC-Action")
	out["_version"] = r.Header.Get("X-TC-Version")
	out["_region"] = r.Header.Get("X-TC-Region")
	return out, nil
}

// Real answers of the providers (shapes from their API references).
const (
	aliyunOK       = `{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","BizId":"900619746936498440^0"}`
	aliyunBizLimit = `{"Message":"触发小时级流控Permits:5","RequestId":"2184201F-BFB3-446B-B1F2-C746B7BF0657","Code":"isv.BUSINESS_LIMIT_CONTROL"}`
	aliyunDayLim   = `{"Message":"触发天级流控Permits:10","RequestId":"2184201F-BFB3-446B-B1F2-C746B7BF0658","Code":"isv.DAY_LIMIT_CONTROL"}`
	aliyunBadSign  = `{"Message":"签名不合法(不存在或被拉黑)","RequestId":"2184201F-BFB3-446B-B1F2-C746B7BF0659","Code":"isv.SMS_SIGNATURE_ILLEGAL"}`
	aliyunThrottl  = `{"RequestId":"5E6A8CE4-4B1C-4B8A-9C52-2A6D1B7B7A10","HostId":"dysmsapi.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":"https://api.aliyun.com/troubleshoot?q=Throttling.User"}`
	aliyunBadKey   = `{"RequestId":"5E6A8CE4-4B1C-4B8A-9C52-2A6D1B7B7A11","HostId":"dysmsapi.aliyuncs.com","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}`

	tencentOK = `{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8613800138000","Fee":1,"SessionContext":"","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}`
	// per-number refusal inside a successful call
	tencentNumLimited = `{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800138000","Fee":0,"SessionContext":"","Code":"LimitExceeded.PhoneNumberThirtySecondLimit","Message":"the number of sms messages sent from a single mobile number within 30 seconds exceeds the upper limit","IsoCode":"CN"}],"RequestId":"b1aabda6-cf91-4f3e-a81f-9198114a2279"}}`
	tencentLimitedErr = `{"Response":{"Error":{"Code":"LimitExceeded.PhoneNumberDailyLimit","Message":"the number of sms messages sent from a single mobile number every day exceeds the upper limit"},"RequestId":"c2aabda6-cf91-4f3e-a81f-9198114a2279"}}`
	tencentBadSign    = `{"Response":{"Error":{"Code":"FailedOperation.SignatureIncorrectOrUnapproved","Message":"signature format error or signature not approved"},"RequestId":"d3aabda6-cf91-4f3e-a81f-9198114a2279"}}`
	tencentNumBad     = `{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800138000","Fee":0,"SessionContext":"","Code":"InvalidParameterValue.IncorrectPhoneNumber","Message":"invalid mobile number 13800138000","IsoCode":"CN"}],"RequestId":"e4aabda6-cf91-4f3e-a81f-9198114a2279"}}`
)
