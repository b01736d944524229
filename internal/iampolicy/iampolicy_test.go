package iampolicy

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/accountchanger"
	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/doctor"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/iamspec"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/sqsintake"
)

// consumer is an interface through which the bot calls one AWS service, the IAM prefix of that
// service, and the operations its package declares.
type consumer struct {
	iface  reflect.Type
	prefix string
	ops    []iamspec.Operation
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// consumers lists every interface the bot calls AWS through. A new interface belongs here; a
// new method on one of these fails the test until its package declares the action.
var consumers = []consumer{
	{typeOf[accountreader.TrailReader](), "cloudtrail", accountreader.Operations},
	{typeOf[accountreader.LogsReader](), "logs", accountreader.Operations},
	{typeOf[accountreader.AlarmsReader](), "cloudwatch", accountreader.Operations},
	{typeOf[accountreader.TopicsReader](), "sns", accountreader.Operations},
	{typeOf[accountchanger.LogsWriter](), "logs", accountchanger.Operations},
	{typeOf[accountchanger.AlarmsWriter](), "cloudwatch", accountchanger.Operations},
	{typeOf[accountchanger.TopicsWriter](), "sns", accountchanger.Operations},
	{typeOf[accountchanger.TrailWriter](), "cloudtrail", accountchanger.Operations},
	{typeOf[accountchanger.QueuesWriter](), "sqs", accountchanger.Operations},
	{typeOf[sqsintake.Receiver](), "sqs", sqsintake.Operations},
	{typeOf[enrich.LogsReader](), "logs", enrich.Operations},
	{typeOf[sns.ConfirmAPI](), "sns", sns.Operations},
	{typeOf[doctor.PolicySimulator](), "iam", doctor.Operations},
	{typeOf[doctor.QueueReader](), "sqs", sqsintake.Operations}, // the intake's calls, made by doctor with its credentials
}

func TestEveryInterfaceMethodIsDeclared(t *testing.T) {
	for _, c := range consumers {
		for i := range c.iface.NumMethod() {
			// A batch call is authorized by its single call's action (sqs:DeleteMessageBatch
			// by sqs:DeleteMessage): IAM has no action of its own for it.
			action := c.prefix + ":" + strings.TrimSuffix(c.iface.Method(i).Name, "Batch")
			if !slices.ContainsFunc(c.ops, func(op iamspec.Operation) bool { return op.Action == action }) {
				t.Errorf("%s.%s calls %s, which its package's Operations do not declare: add it with the feature that needs it",
					c.iface.PkgPath(), c.iface.Name(), action)
			}
		}
	}
}

func TestOperationsAreWellFormed(t *testing.T) {
	type key struct {
		action  string
		feature iamspec.Feature
		on      iamspec.Principal
	}
	seen := map[key]bool{}
	for _, op := range All() {
		k := key{op.Action, op.Feature, op.On}
		switch {
		case seen[k]:
			t.Errorf("%v declared twice", k)
		case !slices.Contains(iamspec.Features, op.Feature):
			t.Errorf("%s: unknown feature %q", op.Action, op.Feature)
		case op.On != iamspec.Member && op.On != iamspec.Bot:
			t.Errorf("%s: unknown principal %q", op.Action, op.On)
		case op.Why == "":
			t.Errorf("%s: say why the bot needs it", op.Action)
		}
		seen[k] = true
	}
}

func TestPolicy(t *testing.T) {
	ops := []iamspec.Operation{
		{Action: "b:Two", Feature: iamspec.Audit, On: iamspec.Member, Why: "x"},
		{Action: "a:One", Feature: iamspec.Audit, On: iamspec.Member, Why: "x"},
		{Action: "c:Fix", Feature: iamspec.Fix, On: iamspec.Member, Why: "x"},
		{Action: "sts:AssumeRole", Feature: iamspec.Audit, On: iamspec.Bot, Why: "x", Resource: "arn:aws:iam::*:role/" + iamspec.RoleName},
	}
	tests := []struct {
		name     string
		on       iamspec.Principal
		features []iamspec.Feature
		want     []Statement
	}{
		{"member, sorted, one statement per feature", iamspec.Member, iamspec.Features, []Statement{
			{Sid: "CisbotAudit", Effect: "Allow", Action: []string{"a:One", "b:Two"}, Resource: "*"},
			{Sid: "CisbotFix", Effect: "Allow", Action: []string{"c:Fix"}, Resource: "*"},
		}},
		{"member, audit only", iamspec.Member, []iamspec.Feature{iamspec.Audit}, []Statement{
			{Sid: "CisbotAudit", Effect: "Allow", Action: []string{"a:One", "b:Two"}, Resource: "*"},
		}},
		{"bot, role name in the resource", iamspec.Bot, iamspec.Features, []Statement{
			{Sid: "CisbotAudit", Effect: "Allow", Action: []string{"sts:AssumeRole"}, Resource: "arn:aws:iam::*:role/auditor"},
		}},
		{"nothing needed", iamspec.Bot, []iamspec.Feature{iamspec.Fix}, []Statement{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Policy(ops, tt.on, tt.features, "auditor")
			if !reflect.DeepEqual(got.Statement, tt.want) {
				t.Errorf("got %+v\nwant %+v", got.Statement, tt.want)
			}
		})
	}
}

func TestParseFeatures(t *testing.T) {
	tests := []struct {
		in      string
		want    []iamspec.Feature
		wantErr bool
	}{
		{"", iamspec.Features, false},
		{"all", iamspec.Features, false},
		{"fix, audit,fix", []iamspec.Feature{iamspec.Fix, iamspec.Audit}, false},
		{"audit,repair", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseFeatures(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFeatures(%q) = %v, %v", tt.in, got, err)
		}
	}
}
