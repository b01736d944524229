// Package awsregion is the one table of the AWS partitions cisbot knows: which region codes
// belong to which partition, and the DNS suffix of the partition's service endpoints. The SNS
// certificate and SubscribeURL checks, the alarm model and the config's region check all ask
// it, so they accept the same regions and hosts.
package awsregion

import (
	"regexp"
	"strings"
)

// Partition is an AWS partition.
type Partition struct {
	ID        string // the ARN partition: aws, aws-cn, …
	DNSSuffix string // of its service endpoints: amazonaws.com, …
	// prefix starts every region code of the partition ("cn-"); "" for aws, which holds every
	// well-formed region code no other partition claims.
	prefix string
}

// Partitions is the table, the commercial partition first.
var Partitions = []Partition{
	{ID: "aws", DNSSuffix: "amazonaws.com"},
	{ID: "aws-cn", DNSSuffix: "amazonaws.com.cn", prefix: "cn-"},
	{ID: "aws-us-gov", DNSSuffix: "amazonaws.com", prefix: "us-gov-"},
	{ID: "aws-iso", DNSSuffix: "c2s.ic.gov", prefix: "us-iso-"},
	{ID: "aws-iso-b", DNSSuffix: "sc2s.sgov.gov", prefix: "us-isob-"},
	{ID: "aws-iso-e", DNSSuffix: "cloud.adc-e.uk", prefix: "eu-isoe-"},
	{ID: "aws-iso-f", DNSSuffix: "csp.hci.ic.gov", prefix: "us-isof-"},
	{ID: "aws-eusc", DNSSuffix: "amazonaws.eu", prefix: "eusc-"},
}

// regionShape is the shape of every region code: us-east-1, eu-central-2, us-gov-west-1,
// cn-north-1, us-isob-east-1, eusc-de-east-1. A shape, not a list, so new regions work.
const regionShape = `[a-z]{2,4}(?:-[a-z]+)?-(?:central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9][0-9]?`

var regionRE = regexp.MustCompile(`^` + regionShape + `$`)

// IsRegion reports whether code is a region code of a known partition.
func IsRegion(code string) bool {
	_, ok := PartitionOf(code)
	return ok
}

// PartitionOf returns the partition of a region code; ok is false when code is not one.
func PartitionOf(region string) (p Partition, ok bool) {
	if !regionRE.MatchString(region) {
		return Partition{}, false
	}
	best := Partitions[0]
	for _, q := range Partitions[1:] {
		if strings.HasPrefix(region, q.prefix) && len(q.prefix) > len(best.prefix) {
			best = q
		}
	}
	return best, true
}

// ByID returns the partition named id (the partition of an ARN).
func ByID(id string) (Partition, bool) {
	for _, p := range Partitions {
		if p.ID == id {
			return p, true
		}
	}
	return Partition{}, false
}

// Contains reports whether region is a region code of p.
func (p Partition) Contains(region string) bool {
	q, ok := PartitionOf(region)
	return ok && q.ID == p.ID
}

// Host is the endpoint host of service in region of p: sns.us-east-1.amazonaws.com.
func (p Partition) Host(service, region string) string {
	return service + "." + region + "." + p.DNSSuffix
}

// SNSHostPattern matches the host of SNS in any region of any partition (the whole host).
// SNSHost also checks that the region belongs to the partition of the suffix.
var SNSHostPattern = regexp.MustCompile(`^sns\.` + regionShape + `\.(?:` + suffixes() + `)$`)

func suffixes() string {
	var alts []string
	for _, p := range Partitions {
		alts = append(alts, regexp.QuoteMeta(p.DNSSuffix))
	}
	return strings.Join(alts, "|")
}

// SNSHost reports whether host is sns.<region>.<suffix> with region in a partition whose DNS
// suffix is suffix, and returns the region and its partition.
func SNSHost(host string) (region string, p Partition, ok bool) {
	rest, found := strings.CutPrefix(host, "sns.")
	if !found || !SNSHostPattern.MatchString(host) {
		return "", Partition{}, false
	}
	region, suffix, _ := strings.Cut(rest, ".")
	p, ok = PartitionOf(region)
	if !ok || p.DNSSuffix != suffix {
		return "", Partition{}, false
	}
	return region, p, true
}
