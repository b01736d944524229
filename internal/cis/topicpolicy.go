package cis

// The SNS topic policy analysis of remediation: whether a policy lets an account's CloudWatch
// alarms publish, and merging the statement that does into it. Pure JSON work; the applier
// reads and writes the policy.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// mergeStatement appends stmt to the policy's statements, keeping everything else. A statement
// with stmt's Sid already there is an error: the caller merges only when no statement allows
// what stmt does, so that one (most likely cisbot's, changed since) does not, and AWS refuses
// a second statement with its Sid; cisbot replaces no statement.
func mergeStatement(policy string, stmt map[string]any) (string, error) {
	doc := map[string]any{}
	if strings.TrimSpace(policy) != "" {
		dec := json.NewDecoder(strings.NewReader(policy))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return "", fmt.Errorf("it is not a JSON object: %w", err)
		}
	}
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = "2012-10-17"
	}
	var list []any
	switch s := doc["Statement"].(type) {
	case nil:
	case []any:
		list = s
	case map[string]any:
		list = []any{s}
	default:
		return "", fmt.Errorf("its Statement is a %T", s)
	}
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m["Sid"] != nil && m["Sid"] == stmt["Sid"] {
			return "", fmt.Errorf("its statement %s does not allow this, and a policy may hold only one statement per Sid: make that statement allow it, or remove it if nothing needs it", stmt["Sid"])
		}
	}
	doc["Statement"] = append(list, stmt)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// allowsAlarms reports whether a statement of the policy provably lets CloudWatch alarms of the
// account (ARNs matching source) publish to the topic: an Allow of sns:Publish on the topic to everyone or to cloudwatch.amazonaws.com whose conditions, if any,
// are all on the source account, owner or alarm ARN and hold for them. This covers the default
// policy of a new topic (everyone, AWS:SourceOwner = the owner account). Anything it cannot show
// counts as not allowing: the merge then adds a statement that is redundant, never a wrong one.
// A statement is judged by what it says, not by its Sid. Deny statements are not weighed.
func allowsAlarms(policy, topicARN, account, source string) bool {
	for _, s := range allowStatements(policy) {
		if allows(s, "sns:publish", topicARN, "cloudwatch.amazonaws.com") && conditionsHold(s["Condition"], account, source) {
			return true
		}
	}
	return false
}

// allowStatements are a policy's statements (a list, or a lone object); none when it does not
// parse, which counts as allowing nothing.
func allowStatements(policy string) []map[string]any {
	var doc struct{ Statement json.RawMessage }
	if json.Unmarshal([]byte(policy), &doc) != nil || len(doc.Statement) == 0 {
		return nil
	}
	var stmts []map[string]any
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]any
		if json.Unmarshal(doc.Statement, &one) != nil {
			return nil
		}
		stmts = []map[string]any{one}
	}
	return stmts
}

// allows reports whether statement s is a plain Allow (no Not… element) of action (lower case)
// on resource, to everyone or to the service principal; its conditions are the caller's to judge.
func allows(s map[string]any, action, resource, service string) bool {
	if s["Effect"] != "Allow" || s["NotAction"] != nil || s["NotPrincipal"] != nil || s["NotResource"] != nil {
		return false
	}
	return anyString(s["Action"], func(v string) bool { return wildcard(strings.ToLower(v), action) }) &&
		anyString(s["Resource"], func(v string) bool { return wildcard(v, resource) }) &&
		servicePrincipal(s["Principal"], service)
}

// servicePrincipal: everyone, or the service.
func servicePrincipal(p any, service string) bool {
	if p == "*" {
		return true
	}
	m, ok := p.(map[string]any)
	if !ok {
		return false
	}
	return anyString(m["AWS"], func(v string) bool { return v == "*" }) ||
		anyString(m["Service"], func(v string) bool { return v == service })
}

func conditionsHold(c any, account, source string) bool {
	if c == nil {
		return true
	}
	ops, ok := c.(map[string]any)
	if !ok {
		return false
	}
	for op, keys := range ops {
		km, ok := keys.(map[string]any)
		if !ok {
			return false
		}
		for key, val := range km {
			var holds bool
			switch strings.ToLower(key) {
			case "aws:sourceowner", "aws:sourceaccount":
				holds = (op == "StringEquals" || op == "StringLike") && anyString(val, func(v string) bool { return wildcard(v, account) })
			case "aws:sourcearn":
				holds = (op == "ArnLike" || op == "ArnEquals" || op == "StringLike" || op == "StringEquals") &&
					anyString(val, func(v string) bool { return wildcard(v, source) })
			}
			if !holds {
				return false
			}
		}
	}
	return true
}

// anyString reports whether v (a string or a list of them) has an element satisfying f.
func anyString(v any, f func(string) bool) bool {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && f(s) {
				return true
			}
		}
	}
	return false
}

// wildcard matches s against an IAM pattern where * is any run of characters and ? is one.
func wildcard(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcard(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

// Grant returns the topic's policy with the statement that lets the alarms publish merged in;
// changed is false, and the policy returned as it is, when a statement allows that already. The
// rest of the policy is kept; a policy that cannot be merged is an error, never replaced.
func (p AlarmPublish) Grant(policy, topicARN string) (merged string, changed bool, err error) {
	if allowsAlarms(policy, topicARN, p.SourceAccount, p.SourceARN) {
		return policy, false, nil
	}
	stmt := map[string]any{
		"Sid":       p.Sid,
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		"Action":    "sns:Publish",
		"Resource":  topicARN,
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": p.SourceAccount},
			"ArnLike":      map[string]any{"aws:SourceArn": p.SourceARN},
		},
	}
	merged, err = mergeStatement(policy, stmt)
	if err != nil {
		return "", false, err
	}
	return merged, true, nil
}
