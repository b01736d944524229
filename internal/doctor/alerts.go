package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cisbot/cisbot/internal/accountreader"
)

// CertWarning is how close to its expiry a certificate fails the TLS check.
const CertWarning = 14 * 24 * time.Hour

// Alerts checks the alert endpoint's set-up.
type Alerts struct {
	Listen, Path      string
	PublicURL         string // alerts.public_url: when set, the subscription must be to exactly it
	CertFile, KeyFile string
	Topics            []string
	Now               func() time.Time
	// Topic gives SNS in a topic's account and region; ok is false when the bot holds no
	// credentials there.
	Topic func(ctx context.Context, account, region string) (api accountreader.TopicsReader, ok bool)
}

// Check runs the alert checks.
func (a *Alerts) Check(ctx context.Context) []Check {
	out := []Check{a.tls(), a.listen()}
	if len(a.Topics) == 0 {
		return append(out, warn("alerts: topics", "alerts.topics is empty, so the endpoint accepts no SNS message", "list the alarm topics' ARNs under alerts.topics"))
	}
	for _, t := range a.Topics {
		out = append(out, a.topic(ctx, t))
	}
	return out
}

func (a *Alerts) tls() Check {
	const name = "alerts: tls"
	if a.CertFile == "" {
		return skip(name, "no certificate configured: the endpoint speaks plain HTTP behind a TLS proxy")
	}
	pair, err := tls.LoadX509KeyPair(a.CertFile, a.KeyFile)
	if err != nil {
		return fail(name, err.Error(), "check alerts.tls_cert_file and alerts.tls_key_file: PEM files the bot can read, the key matching the certificate")
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fail(name, err.Error(), "check alerts.tls_cert_file")
	}
	left := leaf.NotAfter.Sub(a.Now())
	switch {
	case left <= 0:
		return fail(name, fmt.Sprintf("the certificate expired on %s", leaf.NotAfter.UTC().Format(time.DateOnly)), "renew the certificate; SNS refuses to deliver to an endpoint with an expired one")
	case left < CertWarning:
		return fail(name, fmt.Sprintf("the certificate expires on %s, in %d days", leaf.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24)), "renew the certificate before it expires")
	}
	return pass(name, fmt.Sprintf("certificate for %s valid until %s", strings.Join(leaf.DNSNames, ", "), leaf.NotAfter.UTC().Format(time.DateOnly)))
}

// listen warns rather than fails: the address is in use when the bot itself is running.
func (a *Alerts) listen() Check {
	const name = "alerts: listen"
	l, err := net.Listen("tcp", a.Listen)
	if err != nil {
		return warn(name, fmt.Sprintf("%s is in use: %v", a.Listen, err), "stop what listens there or change alerts.listen (if it is cisbot running, this is expected)")
	}
	l.Close()
	return pass(name, a.Listen+" is free")
}

// topic checks that the topic exists and has a confirmed HTTP(S) subscription to a URL ending
// in the endpoint's path (the bot does not know the public URL it is reached at).
func (a *Alerts) topic(ctx context.Context, topic string) Check {
	name := "alerts: topic " + topic
	arn, err := awsarn.Parse(topic)
	if err != nil {
		return fail(name, "not a topic ARN", "fix the ARN under alerts.topics")
	}
	api, ok := a.Topic(ctx, arn.AccountID, arn.Region)
	if !ok {
		return warn(name, "no configured account holds it, so it cannot be read", "add the topic's account under accounts, or check the subscription in the SNS console")
	}
	var pending, other int
	in := &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)}
	for {
		out, err := api.ListSubscriptionsByTopic(ctx, in)
		switch {
		case err != nil && notFound(err):
			return fail(name, "the topic does not exist", "create it (cisbot fix does) or fix the ARN under alerts.topics")
		case err != nil:
			return fail(name, shortError(err), "grant the member role sns:ListSubscriptionsByTopic (the audit policy)")
		}
		for _, s := range out.Subscriptions {
			p := aws.ToString(s.Protocol)
			if p != "http" && p != "https" {
				continue
			}
			if !a.ours(aws.ToString(s.Endpoint)) {
				other++
				continue
			}
			if aws.ToString(s.SubscriptionArn) == "PendingConfirmation" {
				pending++
				continue
			}
			return pass(name, "confirmed subscription to "+aws.ToString(s.Endpoint))
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if pending > 0 {
		return fail(name, "the subscription to the bot's endpoint is pending confirmation", "start cisbot run with this topic under alerts.topics, then subscribe again: the bot confirms it")
	}
	want, endpoint := "ending in "+a.Path, "https://HOST"+a.Path
	if a.PublicURL != "" {
		want, endpoint = "to "+a.PublicURL, a.PublicURL
	}
	return fail(name, fmt.Sprintf("no HTTP(S) subscription %s (%d to other endpoints)", want, other),
		"subscribe the bot's public URL: aws sns subscribe --protocol https --notification-endpoint "+endpoint+" --topic-arn "+topic)
}

// ours reports whether a subscription endpoint is the bot's: alerts.public_url exactly when
// set, else any URL whose path ends in alerts.path (the bot does not know its public URL).
func (a *Alerts) ours(endpoint string) bool {
	if a.PublicURL != "" {
		return endpoint == a.PublicURL
	}
	u, err := url.Parse(endpoint)
	return err == nil && strings.HasSuffix(u.Path, a.Path)
}
