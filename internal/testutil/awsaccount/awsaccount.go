// Package awsaccount builds AWS accounts in an emulator for tests: a test-friendly wrapper of
// emulator/fixture that fails the test on error and hands out fresh account ids.
package awsaccount

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cisbot/cisbot/internal/awsenv"
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
