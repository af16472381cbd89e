package sqldb

import (
	"context"

	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// The Citus backend of dbtest.Backends, for this package's own tests (which cannot import
// internal/dbtest/citus: it imports this package).
func init() {
	dbtest.Distribute = func(ctx context.Context, dsn string) error {
		d, err := Open(ctx, dsn)
		if err != nil {
			return err
		}
		defer d.Close()
		_, err = d.Distribute(ctx)
		return err
	}
}
