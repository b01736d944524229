package sns

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func FuzzParseMessage(f *testing.F) {
	for _, pattern := range []string{"*.json", "negative/*.json"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "sns", pattern))
		for _, file := range files {
			body, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(body)
		}
	}
	f.Add([]byte(`{"Type":"SubscriptionConfirmation","Subject":null,"SubscribeUrl":"x"}`))
	f.Add([]byte(`[]`))
	cert, err := os.ReadFile(filepath.Join("testdata", "sns", "cert-7ff5318490ec183fbaddaa2a969abfda-2021.pem"))
	if err != nil {
		f.Fatal(err)
	}
	// No network: Fetch always returns one real certificate.
	v := &Verifier{
		Topics: []string{"*"},
		Now:    func() time.Time { return time.Date(2022, 7, 28, 22, 0, 0, 0, time.UTC) },
		Fetch:  func(context.Context, string) ([]byte, error) { return cert, nil },
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMessage(body)
		if err != nil {
			if reasonOf(err) == "" {
				t.Fatalf("ParseMessage error is not a RejectError: %v", err)
			}
			return
		}
		if _, err := StringToSign(m); err != nil {
			t.Fatalf("parsed message has no string to sign: %v", err)
		}
		_ = CheckCertURL(m.SigningCertURL)
		if err := v.Verify(context.Background(), m); err != nil && reasonOf(err) == "" {
			t.Fatalf("Verify error is not a RejectError: %v", err)
		}
	})
}
