package licensing

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/database"
)

// row is one stored sample as the usage and report readers see it. Host
// and the raw extra JSON are only valid during the callback (they are the
// driver's buffers, so that 600,000 rows allocate no strings).
type row struct {
	ClusterID int
	Host      []byte
	Time      time.Time
	Values    [7]float64 // in Types order
	extra     []byte
}

// Extra decodes the further licence types of the sample (nil: none).
func (r *row) Extra() (map[string]float64, error) {
	if len(r.extra) == 0 || string(r.extra) == "null" {
		return nil, nil
	}
	var m map[string]float64
	if err := json.Unmarshal(r.extra, &m); err != nil {
		return nil, fmt.Errorf("licence sample of %s at %s: extra: %w", r.Host, r.Time.Format(time.RFC3339), err)
	}
	return m, nil
}

// scanOrder is the order of a scan.
type scanOrder int

const (
	byTime     scanOrder = iota // each host's samples in time order: enough for binning
	byTimeHost                  // the report's rows: time, then host
)

// scan streams the samples of [from, to), of cluster clusterID (the
// cluster stored with the sample, not today's membership) or of every
// cluster when clusterID is 0, through fn. It reads with database/sql
// rather than ent so that only the needed columns travel and no row is
// kept: the 90-day report of 24 bridges is 620,000 rows. It is a plain
// query, not a transaction: on SQLite a transaction would take the write
// lock (_txlock=immediate) and stall the collectors; WAL lets this read
// run beside them.
func (c *Collector) scan(ctx context.Context, clusterID int, from, to time.Time, order scanOrder, fn func(*row) error) error {
	var q strings.Builder
	q.WriteString(`SELECT cluster_id, host_id, time, pmp, pmp_assigned, smp_aud, smp_ptp, smp_full, rec, str, extra
FROM license_samples WHERE time >= ? AND time < ?`)
	args := []any{from.UTC(), to.UTC()}
	if clusterID != 0 {
		q.WriteString(` AND cluster_id = ?`)
		args = append(args, clusterID)
	}
	q.WriteString(` ORDER BY time`)
	if order == byTimeHost {
		q.WriteString(`, host_id`)
	}
	rows, err := c.sql.QueryContext(ctx, c.rebind(q.String()), args...)
	if err != nil {
		return database.Translate(err)
	}
	defer rows.Close()
	var r row
	var host, extra sql.RawBytes
	v := &r.Values
	for rows.Next() {
		if err := rows.Scan(&r.ClusterID, &host, &r.Time, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &extra); err != nil {
			return database.Translate(err)
		}
		r.Host, r.extra = host, extra
		r.Time = r.Time.UTC()
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return database.Translate(err)
	}
	return nil
}

// rebind turns ? placeholders into PostgreSQL's $n (the queries here have
// no literal question marks).
func (c *Collector) rebind(q string) string {
	if c.dialect != database.DialectPostgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, ch := range q {
		if ch == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(ch)
	}
	return b.String()
}
