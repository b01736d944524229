// Package awsaccount builds AWS accounts in an emulator for tests: a test-friendly wrapper of
// emulator/fixture that fails the test on error and hands out fresh account ids.
package awsaccount

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/emulator/fixture"
)

// Scenario says what to break; the zero value builds an account that passes control 4.1.
type Scenario = fixture.Scenario

// Rewriter replaces text in the emulator's responses (see testutil/awsproxy).
type Rewriter = fixture.Rewriter

var seq atomic.Int64

// NewID returns a fresh 12-digit account id, so tests share one emulator without resets.
func NewID() string { return fmt.Sprintf("3000%08d", seq.Add(1)) }

// RoleARN is the role the tests assume in account id.
func RoleARN(id string) string { return fixture.RoleARN(id) }

// Build creates the scenario in account id (assuming RoleARN(id) through f), failing the test
// if it cannot.
func Build(t testing.TB, f *awsenv.Factory, id string, sc Scenario, rw Rewriter) {
	t.Helper()
	if err := fixture.Build(context.Background(), f, id, sc, rw); err != nil {
		t.Fatal(err)
	}
}

// Main runs a package's tests against one moto_server, stored in *srv: the environment is made
// hermetic (nothing of the developer's AWS set-up leaks in), with dummy credentials, region
// us-east-1, and AWS_ENDPOINT_URL pointing at the emulator, as users' own settings would reach
// the SDK's standard chain. It exits with the tests' code.
func Main(m *testing.M, srv **emulator.Server) {
	emulator.Hermetic()
	os.Setenv("AWS_ACCESS_KEY_ID", "testing")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	os.Setenv("AWS_REGION", "us-east-1")
	emulator.Main(runFunc(func() int {
		os.Setenv("AWS_ENDPOINT_URL", (*srv).URL)
		return m.Run()
	}), srv)
}

type runFunc func() int

func (f runFunc) Run() int { return f() }
