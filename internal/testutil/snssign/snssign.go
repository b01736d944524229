// Package snssign signs SNS messages as SNS does, with a key of its own and a self-signed
// certificate, for tests that need messages no real AWS-signed sample exists of (unique
// MessageIds, confirmations). The caller computes the string to sign (sns.StringToSign), so
// this package imports nothing of the bot's.
package snssign

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

// Signer holds the signing key and its certificate.
type Signer struct {
	key     *rsa.PrivateKey
	CertPEM []byte // what the SigningCertURL serves
}

// New makes a 2048-bit RSA key and a self-signed certificate for it.
func New(tb testing.TB) *Signer {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return &Signer{key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Sign returns the base64 Signature of stringToSign for SignatureVersion version: SHA1withRSA
// for "1", SHA256withRSA for "2".
func (s *Signer) Sign(tb testing.TB, version, stringToSign string) string {
	tb.Helper()
	hash, digest := crypto.SHA256, sha256.Sum256([]byte(stringToSign))
	d := digest[:]
	if version == "1" {
		sum := sha1.Sum([]byte(stringToSign))
		hash, d = crypto.SHA1, sum[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, hash, d)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}
