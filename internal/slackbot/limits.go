package slackbot

import (
	"fmt"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's Block Kit limits for messages (docs.slack.dev/reference/block-kit). Slack rejects a
// whole message that breaks one of them (invalid_blocks), so the renderer stays within them and
// validate checks every message before it is sent.
const (
	maxBlocks          = 50   // blocks in one message
	maxSectionText     = 3000 // a section's text; a text object's text
	maxFields          = 10   // fields in one section
	maxFieldText       = 2000 // one field's text
	maxHeaderText      = 150  // a header's plain text
	maxContextElements = 10   // elements in one context block
	maxActionElements  = 25   // elements in one actions block
	maxButtonText      = 75   // a button's label
	maxButtonValue     = 2000 // a button's value
	maxActionID        = 255  // an action_id; unique within its block
	// maxMessageText bounds the text of all blocks together. It is not documented: Slack has
	// refused chat.postMessage with msg_blocks_too_long at about 12,000 characters
	// (slackapi/bolt-js#2509, #2867); replies through response_url were reported to pass, but
	// a report is kept under it anyway.
	maxMessageText = 12000
)

// validate reports the first limit a message breaks.
func validate(blocks []slack.Block) error {
	if len(blocks) == 0 {
		return nil
	}
	if len(blocks) > maxBlocks {
		return fmt.Errorf("%d blocks, more than %d", len(blocks), maxBlocks)
	}
	for i, b := range blocks {
		var err error
		switch b := b.(type) {
		case *slack.HeaderBlock:
			err = validateHeader(i, b)
		case *slack.SectionBlock:
			err = validateSection(i, b)
		case *slack.ContextBlock:
			err = validateContext(i, b)
		case *slack.ActionBlock:
			err = validateActions(i, b)
		case *slack.DividerBlock:
		default:
			err = fmt.Errorf("block %d: %T is not checked by validate", i, b)
		}
		if err != nil {
			return err
		}
	}
	if total := textLen(blocks...); total > maxMessageText {
		return fmt.Errorf("%d characters of text in all blocks, more than %d", total, maxMessageText)
	}
	return nil
}

// validateText checks one text object of block i against its limit.
func validateText(i int, what string, t *slack.TextBlockObject, limit int) error {
	if t == nil {
		return fmt.Errorf("block %d: %s has no text", i, what)
	}
	n := utf8.RuneCountInString(t.Text)
	switch {
	case n == 0:
		return fmt.Errorf("block %d: %s is empty", i, what)
	case n > limit:
		return fmt.Errorf("block %d: %s has %d characters, more than %d", i, what, n, limit)
	}
	return nil
}

func validateHeader(i int, b *slack.HeaderBlock) error {
	if err := validateText(i, "header", b.Text, maxHeaderText); err != nil {
		return err
	}
	if b.Text.Type != slack.PlainTextType {
		return fmt.Errorf("block %d: header text must be plain_text", i)
	}
	return nil
}

func validateSection(i int, b *slack.SectionBlock) error {
	if b.Text == nil && len(b.Fields) == 0 {
		return fmt.Errorf("block %d: section has neither text nor fields", i)
	}
	if b.Text != nil {
		if err := validateText(i, "section", b.Text, maxSectionText); err != nil {
			return err
		}
	}
	if len(b.Fields) > maxFields {
		return fmt.Errorf("block %d: %d fields, more than %d", i, len(b.Fields), maxFields)
	}
	for j, f := range b.Fields {
		if err := validateText(i, fmt.Sprintf("field %d", j), f, maxFieldText); err != nil {
			return err
		}
	}
	return nil
}

func validateContext(i int, b *slack.ContextBlock) error {
	els := b.ContextElements.Elements
	if len(els) == 0 || len(els) > maxContextElements {
		return fmt.Errorf("block %d: %d context elements, want 1 to %d", i, len(els), maxContextElements)
	}
	for j, e := range els {
		if t, ok := e.(*slack.TextBlockObject); ok {
			if err := validateText(i, fmt.Sprintf("context element %d", j), t, maxSectionText); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateActions(i int, b *slack.ActionBlock) error {
	var els []slack.BlockElement
	if b.Elements != nil {
		els = b.Elements.ElementSet
	}
	if len(els) == 0 || len(els) > maxActionElements {
		return fmt.Errorf("block %d: %d action elements, want 1 to %d", i, len(els), maxActionElements)
	}
	ids := map[string]bool{}
	for j, e := range els {
		btn, ok := e.(*slack.ButtonBlockElement)
		if !ok {
			continue
		}
		switch {
		case ids[btn.ActionID]:
			return fmt.Errorf("block %d: action_id %q is used twice", i, btn.ActionID)
		case btn.ActionID == "" || utf8.RuneCountInString(btn.ActionID) > maxActionID:
			return fmt.Errorf("block %d: button %d: action_id must have 1 to %d characters", i, j, maxActionID)
		case utf8.RuneCountInString(btn.Value) > maxButtonValue:
			return fmt.Errorf("block %d: button %d: value longer than %d", i, j, maxButtonValue)
		}
		if err := validateText(i, fmt.Sprintf("button %d", j), btn.Text, maxButtonText); err != nil {
			return err
		}
		ids[btn.ActionID] = true
	}
	return nil
}
