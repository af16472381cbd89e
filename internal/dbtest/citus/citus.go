// Package citus adds a Citus cluster to dbtest.Backends when CHECKPOINT_CITUS_DSN names its
// coordinator: a test package imports it for its side effect. Each test then gets a schema of
// its own on the cluster, migrated and distributed as `hq db distribute` would place it.
package citus

import (
	"context"
	"errors"

	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

func init() { dbtest.Distribute = Distribute }

// Distribute migrates the database dsn names and places its tables on the cluster.
func Distribute(ctx context.Context, dsn string) error {
	d, err := sqldb.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	steps, err := d.Distribute(ctx)
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		return errNotCitus
	}
	return nil
}

var errNotCitus = errors.New("CHECKPOINT_CITUS_DSN names a PostgreSQL without the citus extension")
