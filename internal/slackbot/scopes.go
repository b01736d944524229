package slackbot

// RequiredScopes are the bot token scopes the adapter needs, exactly: manifest.yml declares
// these, and a test checks both against webAPICalls and the code.
//   - commands: the slash command (a feature, no Web API call).
//   - usergroups:read: usergroups.users.list, for auditors named by user group.
//   - chat:write: chat.postMessage and chat.update (an alarm thread's first message), for the
//     alert relay (AlertPoster); the bot must be invited to each alert channel.
//   - channels:history, groups:history: conversations.history and conversations.replies of an
//     alert channel (public or private), read only after an attempt whose answer was lost, to
//     find whether it posted the alert (so a crash posts nothing twice).
//
// Replies to commands go through response_url, which needs no scope, and the app-level
// token's connections:write is granted when the token is created, not in the manifest.
var RequiredScopes = []string{"channels:history", "chat:write", "commands", "groups:history", "usergroups:read"}

// featureScopes are the scopes of features that make no Web API call.
var featureScopes = []string{"commands"}

// webAPICalls lists every slack-go *slack.Client method the package calls, the Web API method
// behind it and the scope it needs (token "bot" or "app"). A test fails when the code calls a
// method missing here.
var webAPICalls = []struct {
	Call, Method, Token, Scope string
}{
	{Call: "PostMessageContext", Method: "chat.postMessage", Token: "bot", Scope: "chat:write"},
	{Call: "UpdateMessageContext", Method: "chat.update", Token: "bot", Scope: "chat:write"},
	// One row per scope: public channels need the first, private ones the second.
	{Call: "GetConversationHistoryContext", Method: "conversations.history", Token: "bot", Scope: "channels:history"},
	{Call: "GetConversationHistoryContext", Method: "conversations.history", Token: "bot", Scope: "groups:history"},
	{Call: "GetConversationRepliesContext", Method: "conversations.replies", Token: "bot", Scope: "channels:history"},
	{Call: "GetConversationRepliesContext", Method: "conversations.replies", Token: "bot", Scope: "groups:history"},
	{Call: "AuthTestContext", Method: "auth.test", Token: "bot", Scope: ""}, // /readyz; needs no scope
	{Call: "GetUserGroupMembersContext", Method: "usergroups.users.list", Token: "bot", Scope: "usergroups:read"},
	// Made by socketmode.Client.RunContext on our behalf.
	{Call: "StartSocketModeContext", Method: "apps.connections.open", Token: "app", Scope: "connections:write"},
}
