package slackbot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
)

// The bot's posts carry message metadata naming what they deliver, so that after an attempt
// whose answer was lost the bot can look in the channel whether the post went out, rather than
// post it twice.
const (
	findPageSize = 200
	findMaxPages = 10 // 2,000 messages since the earlier attempt; beyond that, post again
)

// errGaveUp says a lookup read findMaxPages pages without finding the post.
var errGaveUp = fmt.Errorf("looked through %d messages without finding it", findPageSize*findMaxPages)

// findPost looks through the messages of channel (of the thread threadTS when set) posted after
// since for one whose metadata has eventType and payload[key] == value; ts is its timestamp.
// It reads at most findMaxPages pages (errGaveUp beyond). It needs channels:history and
// groups:history.
func findPost(ctx context.Context, api *slack.Client, channel, threadTS string, since time.Time, eventType, key, value string) (ts string, found bool, err error) {
	oldest := "0"
	if since.Unix() > 0 {
		oldest = fmt.Sprintf("%d.%06d", since.Unix(), since.Nanosecond()/1000)
	}
	method, cursor := "conversations.history", ""
	if threadTS != "" {
		method = "conversations.replies"
	}
	for range findMaxPages {
		var msgs []slack.Message
		var next string
		if threadTS != "" {
			var more bool
			msgs, more, next, err = api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: threadTS, Oldest: oldest, Cursor: cursor,
				Limit: findPageSize, IncludeAllMetadata: true,
			})
			if !more {
				next = ""
			}
		} else {
			var resp *slack.GetConversationHistoryResponse
			resp, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: oldest, Cursor: cursor,
				Limit: findPageSize, IncludeAllMetadata: true,
			})
			if err == nil {
				msgs = resp.Messages
				if resp.HasMore {
					next = resp.ResponseMetaData.NextCursor
				}
			}
		}
		if err != nil {
			return "", false, slackError(method, channel, err)
		}
		for _, m := range msgs {
			if m.Metadata.EventType == eventType && m.Metadata.EventPayload[key] == value {
				return m.Timestamp, true, nil
			}
		}
		if next == "" {
			return "", false, nil
		}
		cursor = next
	}
	return "", false, errGaveUp
}
