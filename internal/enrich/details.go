package enrich

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Detail is one field an alert lists for a principal (cis.Control.AlertShows): its label and
// the distinct values the principal's events carry, sorted.
type Detail struct {
	Field  string   // "userAgent", "groupId", "rules"
	Values []string // one line each
}

// detailLabel is how an alert names the field at path: its last name, "rules" for the
// permissions of a security group change.
func detailLabel(path string) string {
	name := path[strings.LastIndexByte(path, '.')+1:]
	if name == "ipPermissions" {
		return "rules"
	}
	return name
}

// addDetails adds the values msg (a CloudTrail record) has at each of paths to details, which
// holds one Detail per path in that order.
func addDetails(details []Detail, paths []string, msg []byte) []Detail {
	if len(paths) == 0 {
		return details
	}
	if details == nil {
		details = make([]Detail, len(paths))
		for i, p := range paths {
			details[i].Field = detailLabel(p)
		}
	}
	var rec map[string]any
	if json.Unmarshal(msg, &rec) != nil {
		return details
	}
	for i, p := range paths {
		for _, v := range detailValues(lookupPath(rec, p), details[i].Field == "rules") {
			details[i].Values = addDistinct(details[i].Values, v)
		}
	}
	return details
}

// lookupPath is the value at a JSON path ("$.a.b") of rec, or nil.
func lookupPath(rec map[string]any, path string) any {
	var v any = rec
	for _, name := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[name]
	}
	return v
}

// detailValues is v as the lines an alert shows: a scalar as its text, security group
// permissions as one rule each, anything else as compact JSON.
func detailValues(v any, rules bool) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}
	case bool:
		return []string{strconv.FormatBool(v)}
	}
	if rules {
		if r := permissionRules(v); len(r) > 0 {
			return r
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return []string{string(b)}
}

// permissionRules reads the ipPermissions of a security group change (CloudTrail's
// {"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":…}]}}]})
// as one line per rule: "tcp 22 0.0.0.0/0".
func permissionRules(v any) []string {
	var rules []string
	for _, item := range items(v) {
		p, _ := item.(map[string]any)
		if p == nil {
			continue
		}
		proto, _ := p["ipProtocol"].(string)
		if proto == "-1" {
			proto = "all"
		}
		parts := []string{proto}
		from, okFrom := p["fromPort"].(float64)
		to, okTo := p["toPort"].(float64)
		switch {
		case proto == "all" || !okFrom:
		case !okTo || from == to:
			parts = append(parts, strconv.FormatFloat(from, 'f', -1, 64))
		default:
			parts = append(parts, strconv.FormatFloat(from, 'f', -1, 64)+"-"+strconv.FormatFloat(to, 'f', -1, 64))
		}
		for _, src := range [][2]string{{"ipRanges", "cidrIp"}, {"ipv6Ranges", "cidrIpv6"}, {"groups", "groupId"}, {"prefixListIds", "prefixListId"}} {
			for _, r := range items(p[src[0]]) {
				if m, ok := r.(map[string]any); ok {
					if s, ok := m[src[1]].(string); ok && s != "" {
						parts = append(parts, s)
					}
				}
			}
		}
		rules = append(rules, strings.Join(parts, " "))
	}
	return rules
}

// items is the "items" list of CloudTrail's EC2 list wrapper {"items":[…]}.
func items(v any) []any {
	m, _ := v.(map[string]any)
	list, _ := m["items"].([]any)
	return list
}
