package hq

// With CHECKPOINT_CITUS_DSN set, the tests here that use dbtest.Backends also run on a Citus
// cluster.
import _ "github.com/yongji-county/checkpoint/internal/dbtest/citus"
