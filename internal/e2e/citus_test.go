package e2e

// With CHECKPOINT_CITUS_DSN set, every test here also runs on a Citus cluster (and TestSoak
// runs there instead of on plain PostgreSQL).
import _ "github.com/yongji-county/checkpoint/internal/dbtest/citus"
