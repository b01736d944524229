package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// WebAPI calls the three Slack Web API methods doctor needs over plain HTTP. STYLE keeps
// slack-go to the Slack adapter; these calls are small, and reading the x-oauth-scopes
// header needs the raw answer anyway.
type WebAPI struct {
	BaseURL  string // https://slack.com/api/ (SLACK_API_URL), ending in a slash
	BotToken string
	AppToken string // for apps.connections.open
	Client   *http.Client
}

var (
	_ SlackAPI     = (*WebAPI)(nil)
	_ SocketOpener = (*WebAPI)(nil)
)

// SlackError is an {"ok": false, "error": code} answer.
type SlackError struct{ Method, Code string }

func (e *SlackError) Error() string { return e.Method + ": " + e.Code }

// call posts form to method with token and decodes the answer into out, returning its headers.
func (w *WebAPI) call(ctx context.Context, method, token string, form url.Values, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.BaseURL+method, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", method, resp.Status)
	}
	var env struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if !env.OK {
		return nil, &SlackError{Method: method, Code: env.Error}
	}
	return resp.Header, json.Unmarshal(raw, out)
}

// AuthTest calls auth.test.
func (w *WebAPI) AuthTest(ctx context.Context) (user, team string, scopes []string, err error) {
	var out struct{ User, Team string }
	h, err := w.call(ctx, "auth.test", w.BotToken, url.Values{}, &out)
	if err != nil {
		return "", "", nil, err
	}
	if v := h.Get("X-OAuth-Scopes"); v != "" {
		for sc := range strings.SplitSeq(v, ",") {
			scopes = append(scopes, strings.TrimSpace(sc))
		}
	}
	return out.User, out.Team, scopes, nil
}

// ChannelInfo calls conversations.info.
func (w *WebAPI) ChannelInfo(ctx context.Context, channel string) (string, bool, error) {
	var out struct {
		Channel struct {
			Name     string `json:"name"`
			IsMember bool   `json:"is_member"`
		} `json:"channel"`
	}
	_, err := w.call(ctx, "conversations.info", w.BotToken, url.Values{"channel": {channel}}, &out)
	return out.Channel.Name, out.Channel.IsMember, err
}

// OpenSocket calls apps.connections.open; the URL it answers is not dialled.
func (w *WebAPI) OpenSocket(ctx context.Context) error {
	var out struct {
		URL string `json:"url"`
	}
	if _, err := w.call(ctx, "apps.connections.open", w.AppToken, url.Values{}, &out); err != nil {
		return err
	}
	if out.URL == "" {
		return fmt.Errorf("apps.connections.open: no URL in the answer")
	}
	return nil
}
