package sns

import (
	"testing"

	"github.com/cisbot/cisbot/internal/testutil/snssign"
)

// testSigner signs SNS messages with a key of its own and a self-signed certificate, for the
// message kinds no real AWS-signed sample exists of (confirmations) and for unique MessageIds.
type testSigner struct {
	s       *snssign.Signer
	certPEM []byte
}

func newTestSigner(tb testing.TB) *testSigner {
	tb.Helper()
	s := snssign.New(tb)
	return &testSigner{s: s, certPEM: s.CertPEM}
}

// sign sets m.Signature as SNS does for m.SignatureVersion.
func (s *testSigner) sign(tb testing.TB, m *Message) {
	tb.Helper()
	sts, err := StringToSign(m)
	if err != nil {
		tb.Fatal(err)
	}
	m.Signature = s.s.Sign(tb, m.SignatureVersion, sts)
}
