// Package events is the client of a Call Bridge's Events API: a websocket
// at wss://<bridge>/events/v1, opened with a one-use token from POST
// /api/v1/authTokens and the same TLS trust as the REST client. The client
// subscribes to the call list (calls) and, for each call the caller
// watches, to its details (callInfo) and roster (callRoster); every
// subscribeRequest carries the full set, so a change re-sends it. Each
// server message is handed to the caller typed (add, update or remove
// updates whose fields are present only when they changed) and then
// acknowledged with messageAck, so a slow consumer slows the bridge
// instead of losing updates. When the connection drops the client reports
// it, waits with capped exponential backoff, fetches a new token,
// reconnects and subscribes again. Decode and the Encode functions are
// the wire format on their own, for the troubleshooting decoder and tests.
package events
