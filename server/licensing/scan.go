package licensing

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
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
	// storage is the order the database finds cheapest: a sequential
	// read of the table for the deployment, the (cluster_id, time) index
	// for one cluster. Callers check what they rely on (see binner.add).
	storage    scanOrder = iota
	byTime               // each host's samples in time order
	byTimeHost           // the report's rows: time, then host
)

// scan streams the samples of [from, to), of cluster clusterID (the
// cluster stored with the sample, not today's membership) or of every
// cluster when clusterID is 0, through fn. It reads with database/sql
// rather than ent so that only the needed columns travel, times arrive as
// Unix seconds (parsing SQLite's text times was a third of the cost) and
// no row is kept: the 90-day report of 24 bridges is 620,000 rows. It is
// a plain query, not a transaction: on SQLite a transaction would take
// the write lock (_txlock=immediate) and stall the collectors; WAL lets
// this read run beside them.
func (c *Collector) scan(ctx context.Context, clusterID int, from, to time.Time, order scanOrder, fn func(*row) error) error {
	epoch := "unixepoch(time)"
	table := "license_samples"
	if c.dialect == database.DialectPostgres {
		epoch = "CAST(FLOOR(EXTRACT(EPOCH FROM time)) AS BIGINT)"
	} else if order == storage && clusterID == 0 {
		// Most of the table is in range: reading it in rowid order beats
		// a lookup per index entry by a factor of three.
		table += " NOT INDEXED"
	}
	var q strings.Builder
	q.WriteString(`SELECT cluster_id, host_id, ` + epoch + `, pmp, pmp_assigned, smp_aud, smp_ptp, smp_full, rec, str, extra
FROM ` + table + ` WHERE time >= ? AND time < ?`)
	args := []any{from.UTC(), to.UTC()}
	if clusterID != 0 {
		q.WriteString(` AND cluster_id = ?`)
		args = append(args, clusterID)
	}
	switch order {
	case byTime:
		q.WriteString(` ORDER BY time`)
	case byTimeHost:
		q.WriteString(` ORDER BY time, host_id`)
	}
	rows, err := c.sql.QueryContext(ctx, c.rebind(q.String()), args...)
	if err != nil {
		return database.Translate(err)
	}
	defer rows.Close()
	var r row
	var host, extra sql.RawBytes
	var sec int64
	v := &r.Values
	for rows.Next() {
		if err := rows.Scan(&r.ClusterID, &host, &sec, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &extra); err != nil {
			return database.Translate(err)
		}
		r.Host, r.extra = host, extra
		r.Time = time.Unix(sec, 0).UTC()
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return database.Translate(err)
	}
	return nil
}

// census is what the samples of a range hold, counted by the database
// without bringing the rows over: the number per stored cluster and the
// further licence types (sorted).
type census struct {
	rows  map[int]int64
	extra []string
}

func (c *Collector) census(ctx context.Context, clusterID int, from, to time.Time) (*census, error) {
	where := ` WHERE time >= ? AND time < ?`
	args := []any{from.UTC(), to.UTC()}
	if clusterID != 0 {
		where += ` AND cluster_id = ?`
		args = append(args, clusterID)
	}
	out := &census{rows: map[int]int64{}}
	table := "license_samples"
	if c.dialect != database.DialectPostgres {
		// (cluster_id, time) covers the count; SQLite would rather take
		// the time index and look up every row for its cluster.
		table += " INDEXED BY licensesample_cluster_id_time"
	}
	rows, err := c.sql.QueryContext(ctx, c.rebind(`SELECT cluster_id, COUNT(*) FROM `+table+where+` GROUP BY cluster_id`), args...)
	if err != nil {
		return nil, database.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, database.Translate(err)
		}
		out.rows[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, database.Translate(err)
	}
	// Samples with further types are rare: reading those rows is cheap.
	xrows, err := c.sql.QueryContext(ctx, c.rebind(`SELECT extra FROM license_samples`+where+` AND extra IS NOT NULL`), args...)
	if err != nil {
		return nil, database.Translate(err)
	}
	defer xrows.Close()
	seen := map[string]bool{}
	for xrows.Next() {
		var r row
		if err := xrows.Scan(&r.extra); err != nil {
			return nil, database.Translate(err)
		}
		x, err := r.Extra()
		if err != nil {
			return nil, err
		}
		for typ := range x {
			if !seen[typ] {
				seen[typ] = true
				out.extra = append(out.extra, typ)
			}
		}
	}
	if err := xrows.Err(); err != nil {
		return nil, database.Translate(err)
	}
	slices.Sort(out.extra)
	return out, nil
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
