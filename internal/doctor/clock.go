package doctor

import (
	"context"
	"fmt"
	"time"
)

// Clock compares the local clock with AWS's: the relay refuses SNS messages older than
// alerts.max_message_age by their timestamps, so a skewed clock drops alerts.
type Clock struct {
	AWSTime func(ctx context.Context) (time.Time, error) // the Date of an AWS answer
	Now     func() time.Time
	MaxAge  time.Duration // 0: the age check is off
}

// skewWarning is how much skew warns when it is still within MaxAge.
const skewWarning = time.Minute

// Check measures the skew, rounding to seconds (the Date header's precision).
func (c *Clock) Check(ctx context.Context) Check {
	const name = "clock"
	t, err := c.AWSTime(ctx)
	if err != nil {
		return warn(name, "could not read AWS's time: "+err.Error(), "")
	}
	skew := c.Now().Sub(t).Round(time.Second)
	abs := skew.Abs()
	switch {
	case c.MaxAge > 0 && abs >= c.MaxAge:
		return fail(name, fmt.Sprintf("the local clock is %s off AWS's, beyond alerts.max_message_age %s: every alert would be refused", skew, c.MaxAge), "synchronize the clock (NTP, chrony)")
	case abs > skewWarning+time.Second:
		return warn(name, fmt.Sprintf("the local clock is %s off AWS's", skew), "synchronize the clock (NTP, chrony)")
	}
	return pass(name, fmt.Sprintf("within %s of AWS's", skewWarning))
}
