// Package awsregion is the one table of the AWS partitions cisbot knows: which region codes
// belong to which partition, and the DNS suffix of the partition's service endpoints. The SNS
// certificate and SubscribeURL checks, the alarm model and the config's region check all ask
// it, so they accept the same regions and hosts.
package awsregion

import (
	"regexp"
	"slices"
	"strings"
)

// Partition is an AWS partition.
type Partition struct {
	ID        string   // the ARN partition: aws, aws-cn, …
	DNSSuffix string   // of its service endpoints: amazonaws.com, …
	Regions   []string // its region codes
}

// Partitions is the table, the commercial partition first. The region codes are a list, not a
// shape: a region taken from a message (a TopicArn, an AlarmArn) decides which host a
// certificate is fetched from, so "s3-us-west-2" or "evil-east-1" must not pass for one. A
// region AWS opens later is added here (the AWS SDK's partitions.json lists them).
var Partitions = []Partition{
	{ID: "aws", DNSSuffix: "amazonaws.com", Regions: []string{
		"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
		"ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
		"ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
		"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
		"me-west-1", "mx-central-1", "sa-east-1", "sa-west-1", "us-east-1", "us-east-2",
		"us-west-1", "us-west-2",
	}},
	{ID: "aws-cn", DNSSuffix: "amazonaws.com.cn", Regions: []string{"cn-north-1", "cn-northwest-1"}},
	{ID: "aws-us-gov", DNSSuffix: "amazonaws.com", Regions: []string{"us-gov-east-1", "us-gov-west-1"}},
	{ID: "aws-iso", DNSSuffix: "c2s.ic.gov", Regions: []string{"us-iso-east-1", "us-iso-west-1"}},
	{ID: "aws-iso-b", DNSSuffix: "sc2s.sgov.gov", Regions: []string{"us-isob-east-1", "us-isob-west-1"}},
	{ID: "aws-iso-e", DNSSuffix: "cloud.adc-e.uk", Regions: []string{"eu-isoe-west-1"}},
	{ID: "aws-iso-f", DNSSuffix: "csp.hci.ic.gov", Regions: []string{"us-isof-east-1", "us-isof-south-1"}},
	{ID: "aws-eusc", DNSSuffix: "amazonaws.eu", Regions: []string{"eusc-de-east-1"}},
}

// IsRegion reports whether code is a region code of a known partition.
func IsRegion(code string) bool {
	_, ok := PartitionOf(code)
	return ok
}

// PartitionOf returns the partition of a region code; ok is false when code is not one.
func PartitionOf(region string) (p Partition, ok bool) {
	for _, p := range Partitions {
		if slices.Contains(p.Regions, region) {
			return p, true
		}
	}
	return Partition{}, false
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

// SNSHostPattern matches the host of SNS in any region of the table on any partition's suffix
// (the whole host). SNSHost also checks that the region belongs to the partition of the suffix.
var SNSHostPattern = regexp.MustCompile(`^sns\.(?:` + alternatives(func(p Partition) []string { return p.Regions }) +
	`)\.(?:` + alternatives(func(p Partition) []string { return []string{p.DNSSuffix} }) + `)$`)

// alternatives is a regexp alternation of each partition's strings, quoted.
func alternatives(of func(Partition) []string) string {
	var alts []string
	for _, p := range Partitions {
		for _, s := range of(p) {
			alts = append(alts, regexp.QuoteMeta(s))
		}
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

// ServiceHost is the host of service in region of the partition named partitionID (an ARN's
// partition and region); ok is false when the partition is unknown or the region is not one of
// its region codes.
func ServiceHost(service, partitionID, region string) (host string, ok bool) {
	p, ok := ByID(partitionID)
	if !ok || !slices.Contains(p.Regions, region) {
		return "", false
	}
	return p.Host(service, region), true
}
