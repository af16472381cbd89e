package dbtest

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/google/uuid"
)

// UUIDv7At is a UUIDv7 made at t, as a kiosk whose clock reads t makes a record id: what HQ's
// monthly partitions and retention go by.
func UUIDv7At(t time.Time) string {
	var u uuid.UUID
	rand.Read(u[:])
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(u[:6], ms[2:])
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}
