package cmssim

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// reqCtx is one API request as the handlers see it. Handlers run with the
// cluster lock held.
type reqCtx struct {
	b    *Bridge
	cl   *Cluster
	r    *http.Request
	q    url.Values
	form url.Values
	pat  []string
	ids  []string
	now  time.Time
}

// resp is a successful API answer.
type resp struct {
	body     []byte
	location string
	header   map[string]string
}

type handler func(*reqCtx) (*resp, *apiError)

type route struct {
	pat     []string // literal segments, "{}" for an id
	methods map[string]handler
}

func xmlResp(w *xw) *resp { return &resp{body: w.bytes()} }

func created(loc string) *resp { return &resp{location: loc} }

var ok = &resp{}

// routes is the API's object hierarchy. Literal segments match
// case-insensitively, as CMS does in practice.
var routes []route

func init() {
	routes = []route{
		{[]string{"authTokens"}, map[string]handler{"POST": postAuthToken}},
		{[]string{"system", "status"}, map[string]handler{"GET": getStatus}},
		{[]string{"system", "alarms"}, map[string]handler{"GET": getAlarms}},
		{[]string{"system", "licensing"}, map[string]handler{"GET": getLicensing}},
		{[]string{"clusterLicensing"}, map[string]handler{"GET": getClusterLicensing}},
		{[]string{"clusterLicensing", "raw"}, map[string]handler{"GET": getClusterLicensingRaw, "PUT": putClusterLicensingRaw}},
		{[]string{"system", "multipartyLicensing"}, map[string]handler{"GET": getMultipartyLicensing}},
		{[]string{"system", "multipartyLicensing", "activePersonalLicenses"}, map[string]handler{"GET": listActivePersonalLicenses}},
		{[]string{"system", "MPLicenseUsage"}, map[string]handler{"GET": listLicenseUsage}},
		{[]string{"system", "MPLicenseUsage", "knownHosts"}, map[string]handler{"GET": listKnownHosts}},
		{[]string{"system", "configuration", "cluster"}, map[string]handler{"GET": getClusterConfig, "PUT": putClusterConfig, "POST": putClusterConfig}},
		{[]string{"system", "cdrReceiver"}, map[string]handler{"GET": getLegacyReceiver, "PUT": putLegacyReceiver}},
		{[]string{"system", "cdrReceivers"}, map[string]handler{"GET": listReceivers, "POST": postReceiver}},
		{[]string{"system", "cdrReceivers", "{}"}, map[string]handler{"GET": getReceiver, "PUT": putReceiver, "DELETE": deleteReceiver}},
		{[]string{"callBridges"}, map[string]handler{"GET": listOf(kindCallBridge), "POST": postOf(kindCallBridge)}},
		{[]string{"callBridges", "{}"}, map[string]handler{"GET": getOf(kindCallBridge), "PUT": putOf(kindCallBridge), "DELETE": deleteOf(kindCallBridge)}},
		{[]string{"coSpaces"}, map[string]handler{"GET": listOf(kindCoSpace), "POST": postOf(kindCoSpace), "DELETE": deleteAllCoSpaces}},
		{[]string{"coSpaces", "{}"}, map[string]handler{"GET": getOf(kindCoSpace), "PUT": putOf(kindCoSpace), "DELETE": deleteCoSpace}},
		{[]string{"coSpaces", "{}", "accessMethods"}, map[string]handler{"GET": listOf(kindAccessMethod), "POST": postOf(kindAccessMethod)}},
		{[]string{"coSpaces", "{}", "accessMethods", "{}"}, map[string]handler{"GET": getOf(kindAccessMethod), "PUT": putOf(kindAccessMethod), "DELETE": deleteOf(kindAccessMethod)}},
		{[]string{"coSpaces", "{}", "coSpaceUsers"}, map[string]handler{"GET": listOf(kindCoSpaceUser), "POST": postOf(kindCoSpaceUser)}},
		{[]string{"coSpaces", "{}", "coSpaceUsers", "{}"}, map[string]handler{"GET": getOf(kindCoSpaceUser), "PUT": putOf(kindCoSpaceUser), "DELETE": deleteOf(kindCoSpaceUser)}},
		{[]string{"callLegProfiles"}, map[string]handler{"GET": listOf(kindCallLegProfile), "POST": postOf(kindCallLegProfile)}},
		{[]string{"callLegProfiles", "{}"}, map[string]handler{"GET": getOf(kindCallLegProfile), "PUT": putOf(kindCallLegProfile), "DELETE": deleteOf(kindCallLegProfile)}},
		{[]string{"callProfiles"}, map[string]handler{"GET": listOf(kindCallProfile), "POST": postOf(kindCallProfile)}},
		{[]string{"callProfiles", "{}"}, map[string]handler{"GET": getOf(kindCallProfile), "PUT": putOf(kindCallProfile), "DELETE": deleteOf(kindCallProfile)}},
		{[]string{"tenants"}, map[string]handler{"GET": listOf(kindTenant), "POST": postOf(kindTenant)}},
		{[]string{"tenants", "{}"}, map[string]handler{"GET": getOf(kindTenant), "PUT": putOf(kindTenant), "DELETE": deleteOf(kindTenant)}},
		{[]string{"calls"}, map[string]handler{"GET": listCalls, "POST": postCall}},
		{[]string{"calls", "{}"}, map[string]handler{"GET": getCall, "PUT": putCall, "DELETE": deleteCall}},
		{[]string{"calls", "{}", "participants", "*"}, map[string]handler{"PUT": putAllParticipants}},
		{[]string{"calls", "{}", "participants"}, map[string]handler{"GET": listCallParticipants, "POST": postParticipant}},
		{[]string{"calls", "{}", "callLegs"}, map[string]handler{"GET": listCallLegsOfCall, "POST": postCallLeg}},
		{[]string{"callLegs"}, map[string]handler{"GET": listCallLegs}},
		{[]string{"callLegs", "{}"}, map[string]handler{"GET": getCallLeg, "PUT": putCallLeg, "DELETE": deleteCallLeg}},
		{[]string{"participants"}, map[string]handler{"GET": listParticipants}},
		{[]string{"participants", "{}"}, map[string]handler{"GET": getParticipant, "PUT": putParticipant, "DELETE": deleteParticipant}},
		{[]string{"participants", "{}", "callLegs"}, map[string]handler{"GET": listParticipantLegs}},
	}
}

func match(pat, segs []string) ([]string, bool) {
	if len(pat) != len(segs) {
		return nil, false
	}
	var ids []string
	for i, p := range pat {
		switch p {
		case "{}":
			if segs[i] == "" || segs[i] == "*" {
				return nil, false
			}
			ids = append(ids, segs[i])
		default:
			if !strings.EqualFold(p, segs[i]) {
				return nil, false
			}
		}
	}
	return ids, true
}

const maxBody = 1 << 20

func (b *Bridge) serveAPI(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v1"), "/")
	segs := strings.Split(rest, "/")
	var rt *route
	var ids []string
	for i := range routes {
		if got, okm := match(routes[i].pat, segs); okm {
			rt, ids = &routes[i], got
			break
		}
	}
	if rt == nil {
		writeFailure(w, notFound("unrecognizedObject"))
		return
	}
	h := rt.methods[r.Method]
	if h == nil {
		var allow []string
		for m := range rt.methods {
			allow = append(allow, m)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeFailure(w, &apiError{status: http.StatusMethodNotAllowed, reason: "invalidOperation"})
		return
	}
	c := &reqCtx{b: b, cl: b.cl, r: r, q: r.URL.Query(), pat: rt.pat, ids: ids}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		form, err := readForm(r)
		if err != nil {
			writeFailure(w, err)
			return
		}
		c.form = form
	}
	b.cl.mu.Lock()
	c.now = b.sim.clock.Now()
	res, aerr := h(c)
	b.cl.mu.Unlock()
	if aerr != nil {
		writeFailure(w, aerr)
		return
	}
	for k, v := range res.header {
		w.Header().Set(k, v)
	}
	if res.location != "" {
		w.Header().Set("Location", res.location)
	}
	if res.body != nil {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(res.body)))
	}
	w.WriteHeader(http.StatusOK)
	if res.body != nil {
		_, _ = w.Write(res.body)
	}
}

// readForm parses an application/x-www-form-urlencoded body, which is the
// only body CMS accepts on POST and PUT.
func readForm(r *http.Request) (url.Values, *apiError) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, badRequest("parameterError")
	}
	if len(data) > maxBody {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, reason: "parameterError"}
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return url.Values{}, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/x-www-form-urlencoded" {
			return nil, &apiError{status: http.StatusUnsupportedMediaType, reason: "parameterError"}
		}
	}
	form, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, badRequest("parameterError")
	}
	return form, nil
}

func writeFailure(w http.ResponseWriter, e *apiError) {
	x := newXW()
	x.open("failureDetails")
	if e.param != "" {
		x.empty(e.reason, "parameter", e.param, "error", e.perr)
	} else {
		x.empty(e.reason)
	}
	x.close("failureDetails")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(x.bytes())))
	w.WriteHeader(e.status)
	_, _ = w.Write(x.bytes())
}

// ---- paging ----

const defaultPageSize = 10

func (c *reqCtx) pageCap(plural string, def int) int {
	if n, okc := c.b.sim.opts.PageCaps[plural]; okc && n > 0 {
		return n
	}
	return def
}

// page returns the slice bounds for a collection of total matching
// objects: skip offset, return at most min(limit, cap) objects (limit
// defaults to 10).
func (c *reqCtx) page(total int, plural string, def int) (int, int, *apiError) {
	offset, limit := 0, defaultPageSize
	if v := c.q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, paramError("offset", "invalidValue")
		}
		offset = n
	}
	if v := c.q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, paramError("limit", "invalidValue")
		}
		limit = n
	}
	limit = min(limit, c.pageCap(plural, def))
	if offset > total {
		offset = total
	}
	return offset, min(total, offset+limit), nil
}

// ---- generic configuration objects ----

func (c *reqCtx) parentCoSpace(k *kind) (string, *apiError) {
	if k != kindAccessMethod && k != kindCoSpaceUser {
		return "", nil
	}
	if c.cl.db.coSpaces.get(c.ids[0]) == nil {
		return "", notFound("coSpaceDoesNotExist")
	}
	return c.ids[0], nil
}

func (c *reqCtx) lookup(k *kind) (*object, *apiError) {
	parent, err := c.parentCoSpace(k)
	if err != nil {
		return nil, err
	}
	o := c.cl.db.table(k.plural).get(c.ids[len(c.ids)-1])
	if o == nil || o.parent != parent {
		return nil, notFound(k.notFound)
	}
	return o, nil
}

// location is the Location header of a create: the collection's canonical
// path (whatever casing the client used) plus the new id.
func location(c *reqCtx, id string) string {
	var b strings.Builder
	b.WriteString("/api/v1")
	n := 0
	for _, s := range c.pat {
		b.WriteByte('/')
		if s == "{}" {
			b.WriteString(c.ids[n])
			n++
			continue
		}
		b.WriteString(s)
	}
	b.WriteByte('/')
	b.WriteString(id)
	return b.String()
}

func listOf(k *kind) handler {
	return func(c *reqCtx) (*resp, *apiError) {
		parent, err := c.parentCoSpace(k)
		if err != nil {
			return nil, err
		}
		var rows []*object
		filter := c.q.Get("filter")
		for _, o := range c.cl.db.table(k.plural).list(parent) {
			if parent != "" && o.parent != parent {
				continue
			}
			vals := make([]string, 0, len(k.filterFields))
			for _, f := range k.filterFields {
				vals = append(vals, o.f[f])
			}
			if !matchFilter(filter, vals...) {
				continue
			}
			if v := c.q.Get("tenantFilter"); v != "" && o.f["tenant"] != v {
				continue
			}
			if v := c.q.Get("callLegProfileFilter"); v != "" && o.f["callLegProfile"] != v {
				continue
			}
			if v := c.q.Get("usageFilter"); v != "" && (k == kindCallLegProfile || k == kindCallProfile) {
				used := c.cl.profileUsedLocked(k, o.id)
				if (v == "referenced") != used {
					continue
				}
			}
			rows = append(rows, o)
		}
		lo, hi, err := c.page(len(rows), k.plural, k.defaultPageCap)
		if err != nil {
			return nil, err
		}
		w := newXW()
		attrs := []string{"total", strconv.Itoa(len(rows))}
		if lo == hi {
			w.empty(k.plural, attrs...)
			return xmlResp(w), nil
		}
		w.open(k.plural, attrs...)
		for _, o := range rows[lo:hi] {
			w.open(k.singular, "id", o.id)
			c.writeFields(w, k, o, k.listFields, true)
			w.close(k.singular)
		}
		w.close(k.plural)
		return xmlResp(w), nil
	}
}

// writeFields writes the object's elements in the kind's order. Computed
// elements (autoGenerated, numAccessMethods, ...) are filled in here.
func (c *reqCtx) writeFields(w *xw, k *kind, o *object, fields []string, list bool) {
	for _, f := range fields {
		v := o.f[f]
		switch {
		case f == "autoGenerated":
			v = "false"
		case k == kindCoSpace && f == "numAccessMethods":
			if n := len(c.cl.db.accessMethods.list(o.id)); n > 0 {
				v = strconv.Itoa(n)
			}
		case k == kindCoSpace && f == "nonMemberAccess" && v == "":
			v = "true"
		case k == kindCoSpace && f == "ownerId" && o.f["ownerJid"] != "":
			v = c.cl.userIDLocked(o.f["ownerJid"])
		case k == kindAccessMethod && f == "scope" && v == "":
			v = "public"
		}
		if v == "" && (list || k != kindCallBridge) {
			continue
		}
		w.leaf(f, v)
	}
}

func getOf(k *kind) handler {
	return func(c *reqCtx) (*resp, *apiError) {
		o, err := c.lookup(k)
		if err != nil {
			return nil, err
		}
		fields := k.getFields
		if fields == nil {
			fields = k.listFields
		}
		w := newXW()
		w.open(k.singular, "id", o.id)
		c.writeFields(w, k, o, fields, false)
		w.close(k.singular)
		return xmlResp(w), nil
	}
}

func postOf(k *kind) handler {
	return func(c *reqCtx) (*resp, *apiError) {
		parent, err := c.parentCoSpace(k)
		if err != nil {
			return nil, err
		}
		id, err := c.cl.createObjectLocked(c.b, k, parent, c.form)
		if err != nil {
			return nil, err
		}
		return created(location(c, id)), nil
	}
}

func putOf(k *kind) handler {
	return func(c *reqCtx) (*resp, *apiError) {
		o, err := c.lookup(k)
		if err != nil {
			return nil, err
		}
		if err := c.cl.updateObjectLocked(k, o, c.form); err != nil {
			return nil, err
		}
		return ok, nil
	}
}

func deleteOf(k *kind) handler {
	return func(c *reqCtx) (*resp, *apiError) {
		o, err := c.lookup(k)
		if err != nil {
			return nil, err
		}
		c.cl.db.table(k.plural).del(o.id)
		return ok, nil
	}
}

func deleteCoSpace(c *reqCtx) (*resp, *apiError) {
	o, err := c.lookup(kindCoSpace)
	if err != nil {
		return nil, err
	}
	c.cl.deleteCoSpaceLocked(o.id, c.now)
	return ok, nil
}

func deleteAllCoSpaces(c *reqCtx) (*resp, *apiError) {
	for _, o := range c.cl.db.coSpaces.list("") {
		c.cl.deleteCoSpaceLocked(o.id, c.now)
	}
	return ok, nil
}

// deleteCoSpaceLocked removes a coSpace with its access methods and
// members, ending its active call.
func (cl *Cluster) deleteCoSpaceLocked(id string, now time.Time) {
	if m := cl.meetingForCoSpaceLocked(id); m != nil {
		cl.endMeetingLocked(m, "callDeactivated", now)
	}
	for _, t := range []*table{cl.db.accessMethods, cl.db.coSpaceUsers} {
		for _, o := range t.list(id) {
			t.del(o.id)
		}
	}
	cl.db.coSpaces.del(id)
}

func (cl *Cluster) profileUsedLocked(k *kind, id string) bool {
	field := "callLegProfile"
	if k == kindCallProfile {
		field = "callProfile"
	}
	for _, t := range []*table{cl.db.coSpaces, cl.db.accessMethods, cl.db.coSpaceUsers, cl.db.tenants} {
		for _, o := range t.rows {
			if o.f[field] == id {
				return true
			}
		}
	}
	return false
}

// ---- auth tokens ----

func postAuthToken(c *reqCtx) (*resp, *apiError) {
	return &resp{header: map[string]string{"X-Cisco-CMS-Auth-Token": c.b.issueToken()}}, nil
}
