// Package cms is the wire client for the Cisco Meeting Server Call Bridge
// REST API (/api/v1). It speaks exactly what a Call Bridge speaks: HTTPS
// with Basic authentication, form-encoded POST and PUT bodies in which a
// left-out parameter keeps its value and an empty one clears it (Field),
// XML replies decoded into one typed struct per object, new object ids
// taken from the Location header, and collections read page by page with
// offset, limit and total while coping with each bridge's own page cap
// (Pages). Failures come back typed: *APIError for a failureDetails reply,
// ErrNotFound and ErrUnavailable for 404 and 503, and *ConnError (with a
// Kind) for the faults an administrator has to fix when adding a bridge:
// unreachable, untrusted or mismatched or revoked certificate, bad
// credentials, not a Call Bridge. Reads are retried with capped exponential
// backoff; writes only on 503, which a bridge answers without applying the
// request. The package holds no domain logic and no package-level state:
// the CDR decoder lives in cms/cdr and the Events API client in cms/events.
package cms
