package alarm

// This file reads the EventBridge event CloudWatch emits when an alarm changes state, so that an
// alarm delivered by an EventBridge rule becomes the same Alarm an SNS notification does.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// EventDetailType and EventSource identify CloudWatch's alarm events on EventBridge.
const (
	EventDetailType = "CloudWatch Alarm State Change"
	EventSource     = "aws.cloudwatch"
)

// ErrNotEvent is wrapped by ParseEvent's error for a document that is not an EventBridge event
// of an alarm's state change.
var ErrNotEvent = errors.New("not a CloudWatch Alarm State Change event")

// Event is an alarm state change read from EventBridge.
type Event struct {
	ID    string // the event's id: the dedup key
	Alarm *Alarm
	// Message is the alarm as CloudWatch's SNS notification carries it, the form the outbox
	// stores and Parse reads back.
	Message []byte
}

type rawEvent struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

type eventState struct {
	Value     string `json:"value"`
	Reason    string `json:"reason"`
	Timestamp string `json:"timestamp"`
}

type eventMetric struct {
	ID         string `json:"id"`
	Expression string `json:"expression"`
	Label      string `json:"label"`
	ReturnData *bool  `json:"returnData"`
	MetricStat *struct {
		Metric struct {
			Name       string            `json:"name"`
			Namespace  string            `json:"namespace"`
			Dimensions map[string]string `json:"dimensions"`
		} `json:"metric"`
		Period int    `json:"period"`
		Stat   string `json:"stat"`
		Unit   string `json:"unit"`
	} `json:"metricStat"`
}

type eventDetail struct {
	AlarmName     string      `json:"alarmName"`
	State         *eventState `json:"state"`
	PreviousState *eventState `json:"previousState"`
	Configuration struct {
		Description string          `json:"description"`
		Metrics     []eventMetric   `json:"metrics"`
		AlarmRule   json.RawMessage `json:"alarmRule"`
	} `json:"configuration"`
}

// IsEvent reports whether body has the shape of an EventBridge event (detail-type, source and
// detail at the top level), whatever its source.
func IsEvent(body []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil {
		return false
	}
	_, dt := probe["detail-type"]
	_, src := probe["source"]
	_, det := probe["detail"]
	return dt && src && det
}

// ParseEvent reads a "CloudWatch Alarm State Change" event (source aws.cloudwatch): the state,
// previous state, reason, metric, account and region become an Alarm, as if CloudWatch had
// published it to SNS. The event's account and its alarm ARN (resources[0]) must agree. A
// document that is not such an event is an error wrapping ErrNotEvent.
func ParseEvent(body []byte) (*Event, error) {
	if len(body) > MaxMessageSize {
		return nil, fmt.Errorf("alarm event: %w: %d bytes, limit %d", ErrTooLarge, len(body), MaxMessageSize)
	}
	var ev rawEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("alarm event: %w: %w", ErrNotEvent, err)
	}
	if ev.Source != EventSource || ev.DetailType != EventDetailType {
		return nil, fmt.Errorf("alarm event: %w: source %q, detail-type %q", ErrNotEvent, short(ev.Source), short(ev.DetailType))
	}
	var d eventDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, fmt.Errorf("alarm event %s: malformed detail: %w", short(ev.ID), err)
	}
	switch {
	case ev.ID == "":
		return nil, errors.New("alarm event: no id")
	case d.AlarmName == "" || d.State == nil || d.State.Value == "":
		return nil, fmt.Errorf("alarm event %s: no alarmName or state", short(ev.ID))
	case len(ev.Resources) == 0:
		return nil, fmt.Errorf("alarm event %s: no alarm ARN in resources", short(ev.ID))
	}
	msg, err := json.Marshal(notification(&ev, &d))
	if err != nil {
		return nil, fmt.Errorf("alarm event %s: %w", short(ev.ID), err)
	}
	a, err := Parse(string(msg))
	if err != nil {
		return nil, fmt.Errorf("alarm event %s: %w", short(ev.ID), err)
	}
	if region, account, _ := parseAlarmARN(a.AlarmArn); region != ev.Region || account != ev.Account {
		return nil, fmt.Errorf("alarm event %s: its account %s and region %s are not its alarm's %s", short(ev.ID), short(ev.Account), short(ev.Region), short(a.AlarmArn))
	}
	return &Event{ID: ev.ID, Alarm: a, Message: msg}, nil
}

// notification is the event as the fields of CloudWatch's SNS notification.
func notification(ev *rawEvent, d *eventDetail) map[string]any {
	n := map[string]any{
		"AlarmName":        d.AlarmName,
		"AlarmDescription": nilIfEmpty(d.Configuration.Description),
		"AWSAccountId":     ev.Account,
		"NewStateValue":    d.State.Value,
		"NewStateReason":   d.State.Reason,
		"StateChangeTime":  d.State.Timestamp,
		"Region":           ev.Region,
		"AlarmArn":         ev.Resources[0],
	}
	if d.State.Timestamp == "" {
		n["StateChangeTime"] = ev.Time
	}
	if d.PreviousState != nil {
		n["OldStateValue"] = d.PreviousState.Value
	}
	if len(d.Configuration.AlarmRule) > 0 {
		n["AlarmRule"] = d.Configuration.AlarmRule
		return n
	}
	n["Trigger"] = trigger(d.Configuration.Metrics)
	return n
}

// trigger is the Trigger of a notification: one metric's name, namespace, statistic, period and
// dimensions, or the queries of a metric-math alarm. The event carries no threshold or
// comparison, so neither does the trigger.
func trigger(metrics []eventMetric) map[string]any {
	if len(metrics) == 1 && metrics[0].MetricStat != nil && metrics[0].Expression == "" {
		ms := metrics[0].MetricStat
		dims := make([]map[string]string, 0, len(ms.Metric.Dimensions))
		for k, v := range ms.Metric.Dimensions {
			dims = append(dims, map[string]string{"name": k, "value": v})
		}
		stat, kind := snsStatistic(ms.Stat)
		t := map[string]any{
			"MetricName": ms.Metric.Name, "Namespace": ms.Metric.Namespace,
			"StatisticType": kind, "Statistic": stat, "Period": ms.Period, "Dimensions": dims,
		}
		if ms.Unit != "" {
			t["Unit"] = ms.Unit
		}
		return t
	}
	qs := make([]map[string]any, 0, len(metrics))
	for _, m := range metrics {
		q := map[string]any{"Id": m.ID}
		if m.Expression != "" {
			q["Expression"] = m.Expression
		}
		if m.Label != "" {
			q["Label"] = m.Label
		}
		if m.ReturnData != nil {
			q["ReturnData"] = *m.ReturnData
		}
		if m.MetricStat != nil {
			q["MetricStat"] = m.MetricStat
		}
		qs = append(qs, q)
	}
	return map[string]any{"Metrics": qs}
}

// snsStatistic spells an API statistic (Average, SampleCount, p90) as SNS notifications do
// (AVERAGE, SAMPLE_COUNT, p90), with its StatisticType.
func snsStatistic(stat string) (spelled, kind string) {
	switch stat {
	case "SampleCount":
		return "SAMPLE_COUNT", "Statistic"
	case "Sum", "Average", "Minimum", "Maximum":
		return strings.ToUpper(stat), "Statistic"
	}
	return stat, "ExtendedStatistic"
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
