package cms

import (
	"context"
	"encoding/xml"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// ListOptions are the paging and filter parameters every collection
// accepts.
type ListOptions struct {
	// Offset is the number of matching objects to skip.
	Offset int
	// PageSize is the limit sent with each request. Zero sends none and
	// lets the bridge choose. A bridge may return fewer than asked (each
	// endpoint has its own cap), which the iterator copes with.
	PageSize int
	// Filter is the bridge's substring filter (on name, URI, ...).
	Filter string
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Filter != "" {
		q.Set("filter", o.Filter)
	}
	return q
}

// Page is one reply from a collection: the objects it holds and the
// total number that match, regardless of the page.
type Page[T any] struct {
	XMLName xml.Name `json:"-"`
	// Total is the total attribute; nil when the bridge sent none.
	Total *int `xml:"total,attr" json:"total,omitempty"`
	// Maximum is only sent by /system/cdrReceivers (the number of slots).
	Maximum *int `xml:"maximum,attr" json:"maximum,omitempty"`
	// Items are the objects of this page, in the bridge's order.
	Items []T `xml:",any" json:"items"`
}

// identified is implemented by the object types of this package so that
// the iterator can drop an object a shifted page returns twice.
type identified interface{ objectID() string }

// fetchPage reads one page of plural (the expected root element).
func fetchPage[T any](ctx context.Context, c *Client, p, plural string, q url.Values) (*Page[T], error) {
	var pg Page[T]
	if err := c.get(ctx, p, q, &pg); err != nil {
		return nil, err
	}
	if pg.XMLName.Local != plural {
		return nil, &DecodeError{Method: http.MethodGet, Path: p, Err: fmt.Errorf("reply is <%s>, want <%s>", pg.XMLName.Local, plural)}
	}
	return &pg, nil
}

// Iterate reads a whole collection, page after page, and yields its
// objects; on an error it yields the error once and stops. Each request
// asks for offset = objects seen so far, so a bridge that returns fewer
// than PageSize (its own cap) is simply asked again from further on; it
// stops when offset reaches total, or on an empty page. Pages are not
// snapshots: objects added or removed meanwhile shift the rest, so an
// object already yielded is not yielded again (by id) and one can be
// missed. p is the path under /api/v1, plural the root element name, and
// q the endpoint's own filters.
func Iterate[T any](ctx context.Context, c *Client, p, plural string, o ListOptions, q url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		offset := max(o.Offset, 0)
		seen := map[string]struct{}{}
		for {
			qq := url.Values{}
			for k, v := range o.values() {
				qq[k] = v
			}
			for k, v := range q {
				qq[k] = v
			}
			qq.Set("offset", strconv.Itoa(offset))
			if o.PageSize > 0 {
				qq.Set("limit", strconv.Itoa(o.PageSize))
			}
			pg, err := fetchPage[T](ctx, c, p, plural, qq)
			if err != nil {
				yield(zero, err)
				return
			}
			fresh := 0
			for _, it := range pg.Items {
				if id, ok := any(it).(identified); ok {
					if _, dup := seen[id.objectID()]; dup {
						continue
					}
					seen[id.objectID()] = struct{}{}
				}
				fresh++
				if !yield(it, nil) {
					return
				}
			}
			n := len(pg.Items)
			offset += n
			if n == 0 || (pg.Total != nil && offset >= *pg.Total) {
				return
			}
			// Without a total, a page of nothing new means the bridge
			// ignores offset: stop rather than loop.
			if pg.Total == nil && fresh == 0 {
				return
			}
		}
	}
}

// Collect drains an iterator into a slice, stopping at the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
