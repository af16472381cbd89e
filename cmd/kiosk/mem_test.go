package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/yongji-county/checkpoint/station"
)

// hashingAuth stands in for the station's login: like argon2id with HQ's parameters it fills
// 64 MiB that are garbage once it returns.
type hashingAuth struct{ sink *byte }

func (a *hashingAuth) Login(ctx context.Context, phone, password string) (station.Session, error) {
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	a.sink = &b[len(b)/2]
	a.sink = nil
	return station.Session{StaffID: "s1"}, nil
}

func (a *hashingAuth) Logout(context.Context, station.Session) {}

func TestFreeingAuthReturnsTheHash(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no GC but the one after the login
	freed := make(chan struct{})
	a := freeingAuth{Auth: &hashingAuth{}, free: func() { debug.FreeOSMemory(); close(freed) }}
	s, err := a.Login(context.Background(), "13800000000", "pw")
	if err != nil || s.StaffID != "s1" {
		t.Fatalf("Login = %+v, %v; want the wrapped login's session", s, err)
	}
	<-freed
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if inUse := m.HeapInuse >> 20; inUse > 32 {
		t.Errorf("heap in use %d MiB after the login; want the hash's 64 MiB freed", inUse)
	}
	if kept := (m.HeapSys - m.HeapReleased) >> 20; kept > 48 {
		t.Errorf("heap held from the system %d MiB after the login; want the hash's pages returned", kept)
	}
}
