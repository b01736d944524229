package awsregion

import "testing"

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "ap-southeast-4": "aws", "mx-central-1": "aws",
		"us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e",
		"us-isof-south-1": "aws-iso-f", "eusc-de-east-1": "aws-eusc",
		"me-west-1": "aws", "sa-west-1": "aws", "us-isof-east-1": "aws-iso-f",
		// Shapes of a region that are none: an S3 website-style endpoint, made-up codes.
		"s3-us-west-2": "", "evil-east-1": "", "sns-us-west-2": "", "us-east-9": "", "cn-east-1": "",
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
		"sns.s3-us-west-2.amazonaws.com":      "", // what an S3 bucket named sns could serve
		"sns.evil-east-1.amazonaws.com":       "",
		"sns.us-west-2.s3.amazonaws.com":      "",
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

func TestServiceHost(t *testing.T) {
	for _, tt := range []struct{ partition, region, want string }{
		{"aws", "us-east-1", "sns.us-east-1.amazonaws.com"},
		{"aws-cn", "cn-north-1", "sns.cn-north-1.amazonaws.com.cn"},
		{"aws-us-gov", "us-gov-west-1", "sns.us-gov-west-1.amazonaws.com"},
		{"aws", "s3-us-west-2", ""},
		{"aws", "evil-east-1", ""},
		{"aws", "cn-north-1", ""},   // China's region in the commercial partition
		{"aws-cn", "us-east-1", ""}, // and the other way round
		{"aws-xx", "us-east-1", ""}, // unknown partition
		{"aws", "", ""},
	} {
		got, ok := ServiceHost("sns", tt.partition, tt.region)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ServiceHost(sns, %q, %q) = %q, %v; want %q", tt.partition, tt.region, got, ok, tt.want)
		}
	}
}
