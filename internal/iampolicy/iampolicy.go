// Package iampolicy collects the AWS operations each package declares (internal/iamspec) and
// turns them into IAM policy documents: what `cisbot iam-policy` prints and what the policies
// in deploy/aws must hold.
package iampolicy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cisbot/cisbot/internal/accountchanger"
	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/doctor"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/iamspec"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/sqsintake"
)

// DefaultRoleName is the member role's name in deploy/aws/member-role.yaml.
const DefaultRoleName = "cisbot"

// All is every operation the bot calls, in declaration order.
func All() []iamspec.Operation {
	return slices.Concat(accountreader.Operations, accountchanger.Operations, enrich.Operations,
		sns.Operations, doctor.Operations, awsenv.Operations, sqsintake.Operations)
}

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement allows a feature's actions.
type Statement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// ParseFeatures reads a comma-separated list of features; "all" or an empty list means every
// feature.
func ParseFeatures(list string) ([]iamspec.Feature, error) {
	if list == "" || list == "all" {
		return iamspec.Features, nil
	}
	var out []iamspec.Feature
	for f := range strings.SplitSeq(list, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(iamspec.Features, iamspec.Feature(f)) {
			return nil, fmt.Errorf("unknown feature %q: use %s or all", f, featureList())
		}
		if !slices.Contains(out, iamspec.Feature(f)) {
			out = append(out, iamspec.Feature(f))
		}
	}
	return out, nil
}

func featureList() string {
	s := make([]string, len(iamspec.Features))
	for i, f := range iamspec.Features {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// Actions returns the sorted, distinct actions that on needs for feature.
func Actions(ops []iamspec.Operation, on iamspec.Principal, feature iamspec.Feature) []string {
	var out []string
	for _, op := range ops {
		if op.On == on && op.Feature == feature && !slices.Contains(out, op.Action) {
			out = append(out, op.Action)
		}
	}
	slices.Sort(out)
	return out
}

// Policy is the policy that on needs for features: one statement per feature and resource, in
// iamspec.Features order, with sorted actions; a feature that needs nothing of on has none.
// roleName replaces iamspec.RoleName in resources.
func Policy(ops []iamspec.Operation, on iamspec.Principal, features []iamspec.Feature, roleName string) Document {
	doc := Document{Version: "2012-10-17", Statement: []Statement{}}
	for _, f := range iamspec.Features {
		if !slices.Contains(features, f) {
			continue
		}
		byResource := map[string][]string{}
		var resources []string
		for _, op := range ops {
			if op.On != on || op.Feature != f {
				continue
			}
			r := cmp.Or(strings.ReplaceAll(op.Resource, iamspec.RoleName, roleName), "*")
			if _, ok := byResource[r]; !ok {
				resources = append(resources, r)
			}
			if !slices.Contains(byResource[r], op.Action) {
				byResource[r] = append(byResource[r], op.Action)
			}
		}
		slices.Sort(resources)
		for i, r := range resources {
			sid := "Cisbot" + strings.ToUpper(string(f[:1])) + string(f[1:])
			if i > 0 {
				sid += fmt.Sprint(i + 1)
			}
			actions := byResource[r]
			slices.Sort(actions)
			doc.Statement = append(doc.Statement, Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: r})
		}
	}
	return doc
}

// Partitions are the AWS partitions a policy's ARNs may name.
var Partitions = []string{"aws", "aws-cn", "aws-us-gov"}

// InPartition is the document with its ARNs in partition p (the operations declare them in
// aws): the same policy for China or GovCloud accounts.
func (d Document) InPartition(p string) Document {
	out := Document{Version: d.Version, Statement: make([]Statement, len(d.Statement))}
	for i, s := range d.Statement {
		if rest, ok := strings.CutPrefix(s.Resource, "arn:aws:"); ok {
			s.Resource = "arn:" + p + ":" + rest
		}
		out.Statement[i] = s
	}
	return out
}

// JSON is the document indented by two spaces, with a final newline.
func (d Document) JSON() []byte {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err) // strings and slices only
	}
	return append(b, '\n')
}
