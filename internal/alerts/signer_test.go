package alerts

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// testSigner signs SNS messages with a key of its own and a self-signed certificate, for the
// message kinds no real AWS-signed sample exists of (confirmations) and for unique MessageIds.
type testSigner struct {
	key     *rsa.PrivateKey
	certPEM []byte
}

func newTestSigner(tb testing.TB) *testSigner {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return &testSigner{key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// sign sets m.Signature as SNS does for m.SignatureVersion: SHA1withRSA for "1", SHA256withRSA
// for "2".
func (s *testSigner) sign(tb testing.TB, m *Message) {
	tb.Helper()
	sts, err := StringToSign(m)
	if err != nil {
		tb.Fatal(err)
	}
	hash, digest := crypto.SHA256, sha256.Sum256([]byte(sts))
	d := digest[:]
	if m.SignatureVersion == "1" {
		sum := sha1.Sum([]byte(sts))
		hash, d = crypto.SHA1, sum[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, hash, d)
	if err != nil {
		tb.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
}
