package awsregion

import "testing"

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "ap-southeast-4": "aws", "mx-central-1": "aws",
		"us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e",
		"us-isof-south-1": "aws-iso-f", "eusc-de-east-1": "aws-eusc",
		"us-east-0": "", "useast1": "", "us-east-1a": "", "US-EAST-1": "", "": "", "us-east": "",
	} {
		p, ok := PartitionOf(region)
		if ok != (want != "") || p.ID != want {
			t.Errorf("PartitionOf(%q) = %q, %v; want %q", region, p.ID, ok, want)
		}
		if IsRegion(region) != ok {
			t.Errorf("IsRegion(%q) = %v, want %v", region, !ok, ok)
		}
	}
}

func TestSNSHost(t *testing.T) {
	for host, want := range map[string]string{
		"sns.us-east-1.amazonaws.com":         "aws",
		"sns.us-gov-west-1.amazonaws.com":     "aws-us-gov",
		"sns.cn-north-1.amazonaws.com.cn":     "aws-cn",
		"sns.us-iso-east-1.c2s.ic.gov":        "aws-iso",
		"sns.us-isob-east-1.sc2s.sgov.gov":    "aws-iso-b",
		"sns.cn-north-1.amazonaws.com":        "", // China's region on the commercial suffix
		"sns.us-east-1.amazonaws.com.cn":      "",
		"sns.us-east-1.c2s.ic.gov":            "",
		"sns.us-east-1.amazonaws.com.evil.io": "",
		"s3.us-east-1.amazonaws.com":          "",
		"sns.amazonaws.com":                   "",
		"SNS.US-EAST-1.AMAZONAWS.COM":         "",
	} {
		_, p, ok := SNSHost(host)
		if ok != (want != "") || p.ID != want {
			t.Errorf("SNSHost(%q) = %q, %v; want %q", host, p.ID, ok, want)
		}
	}
	if p, _ := ByID("aws-cn"); p.Host("sns", "cn-north-1") != "sns.cn-north-1.amazonaws.com.cn" {
		t.Errorf("Host = %q", p.Host("sns", "cn-north-1"))
	}
}
