// Package e2e holds the end-to-end reliability tests and benchmarks of kiosk → HQ sync: the real
// kiosk store, the real HQ server on loopback (SQLite and PostgreSQL), the real sync client, and
// faults injected between them (connection resets mid-request and mid-response, delays, lost
// answers, 500/503 with Retry-After, HQ and PostgreSQL restarts). It has no non-test code.
package e2e
