package config

import "testing"

func TestParseQueueURL(t *testing.T) {
	for _, tc := range []struct {
		url, arn string // arn "" when the URL is refused
	}{
		{"https://sqs.us-east-1.amazonaws.com/111111111111/cis-alarms", "arn:aws:sqs:us-east-1:111111111111:cis-alarms"},
		{"https://eu-west-1.queue.amazonaws.com/222222222222/a_b-c", "arn:aws:sqs:eu-west-1:222222222222:a_b-c"},
		{"https://sqs.cn-north-1.amazonaws.com.cn/333333333333/q.fifo", "arn:aws-cn:sqs:cn-north-1:333333333333:q.fifo"},
		{"https://sqs.us-gov-west-1.amazonaws.com/444444444444/q", "arn:aws-us-gov:sqs:us-gov-west-1:444444444444:q"},
		{"http://sqs.us-east-1.amazonaws.com/111111111111/q", ""},
		{"https://sqs.us-east-1.amazonaws.com/1111/q", ""},
		{"https://sqs.us-east-1.amazonaws.com/111111111111/q/extra", ""},
		{"https://sqs.us-east-1.evil.com/111111111111/q", ""},
		{"arn:aws:sqs:us-east-1:111111111111:q", ""},
	} {
		u, err := ParseQueueURL(tc.url)
		if tc.arn == "" {
			if err == nil {
				t.Errorf("ParseQueueURL(%q) = %+v, want an error", tc.url, u)
			}
			continue
		}
		if err != nil || u.ARN() != tc.arn {
			t.Errorf("ParseQueueURL(%q) = %s, %v; want %s", tc.url, u.ARN(), err, tc.arn)
		}
	}
}
