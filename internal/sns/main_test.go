package sns

import (
	"os"
	"testing"

	"github.com/cisbot/cisbot/internal/testutil/pgtest"
)

// TestMain stops the PostgreSQL cluster the endpoint benchmark started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
