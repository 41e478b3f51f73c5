package licensing

import (
	"archive/zip"
	"compress/flate"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// The 90-day report (LI-60): one ZIP of exactly three CSV files.
const (
	ReportFileName   = "license-data.zip"
	FileHostReported = "host-reported.csv"
	FileClusterBins  = "cluster-bins.csv"
	FileDailyPeaks   = "daily-peaks.csv"
)

// Layouts of the report's times (LI-66).
const (
	ReportTimeLayout = "2006-01-02T15:04:05Z"
	ReportDateLayout = time.DateOnly
)

// Progress is told, as the report is written, which file is being
// written and how many of the report's rows (over the three files,
// headers excluded) are written so far.
type Progress func(file string, done, total int64)

// progressEvery is how many rows go by between two progress calls.
const progressEvery = 4096

// WriteReport writes the 90-day report of cluster clusterID (0: every
// cluster, the Smart-mode scope) to w as a ZIP archive: host-reported.csv
// (one row per stored sample, LI-61), cluster-bins.csv (per 5-minute
// interval the sum over the bridges of each one's largest sample, LI-62;
// in the deployment scope a leading cluster_id column and the rows of
// every cluster, LI-67) and daily-peaks.csv (per UTC day the peak after
// 3-point median smoothing, LI-63; the deployment's when clusterID is 0,
// the clusters added per interval, LI-20). It covers the 90 UTC days up
// to now, today included, up to now's interval (a zero now is the
// collector's clock). It streams: the database counts the rows and lists
// the further types from indexes, then one read of the samples in time
// order writes host-reported.csv and fills the bins, holding no sample,
// so memory is that of the bins whatever the number of samples. An
// unknown cluster is NotFound, before anything is written.
func (c *Collector) WriteReport(ctx context.Context, w io.Writer, clusterID int, now time.Time, progress Progress) error {
	if now.IsZero() {
		now = c.opts.Now()
	}
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	now = now.UTC()
	from := compliance.WindowStart(now)
	to := compliance.Floor(now).Add(compliance.Interval)

	clusters, err := c.bridges.ListClusters(ctx)
	if err != nil {
		return err
	}
	var scope []int // the clusters of cluster-bins.csv
	for _, cl := range clusters {
		if clusterID == 0 || cl.ID == clusterID {
			scope = append(scope, cl.ID)
		}
	}
	if clusterID != 0 && len(scope) == 0 {
		return errs.New(errs.NotFound, errs.ReasonNotFound, "no cluster %d", clusterID)
	}

	// What the files will hold, counted by the database: the rows per
	// cluster and the further types (the header comes first).
	cs, err := c.census(ctx, clusterID, from, to)
	if err != nil {
		return err
	}
	if clusterID == 0 {
		// Clusters since removed still have history in the window.
		for id := range cs.rows {
			if !slices.Contains(scope, id) {
				scope = append(scope, id)
			}
		}
		slices.Sort(scope)
	}
	var samples int64
	for _, n := range cs.rows {
		samples += n
	}
	b := newBinner(from, to)
	for _, id := range scope {
		b.cluster(id)
	}
	days := int64(to.Sub(from)+24*time.Hour-1) / int64(24*time.Hour)
	total := samples + int64(b.n)*int64(len(scope)) + days

	zw := zip.NewWriter(w)
	// BestSpeed: CSV of numbers compresses well anyway, and the default
	// level triples the time of a 620,000-row report.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	rw := &reportWriter{zw: zw, now: now, total: total, progress: progress}

	// One read of the samples, in time order: each is written as stored
	// (the bridges' element names) and binned.
	extra := cs.extra
	if err := rw.create(FileHostReported, append(append([]string{"host_id", "timestamp"}, Types...), extra...)); err != nil {
		return err
	}
	rec := make([]string, 2+len(Types)+len(extra))
	err = c.scan(ctx, clusterID, from, to, byTimeHost, func(r *row) error {
		if err := b.add(r); err != nil {
			return err
		}
		rec[0], rec[1] = string(r.Host), r.Time.Format(ReportTimeLayout)
		for i, v := range r.Values {
			rec[2+i] = formatValue(v)
		}
		if len(extra) > 0 {
			x, err := r.Extra()
			if err != nil {
				return err
			}
			for i, typ := range extra {
				rec[2+len(Types)+i] = formatValue(x[typ])
			}
		}
		return rw.row(rec)
	})
	if err != nil {
		return err
	}
	b.finish()

	// The bins, cluster by cluster in the deployment scope.
	cols := b.columns()
	head := []string{"interval_start"}
	if clusterID == 0 {
		head = []string{"cluster_id", "interval_start"}
	}
	for _, i := range cols {
		head = append(head, b.types[i])
	}
	if err := rw.create(FileClusterBins, head); err != nil {
		return err
	}
	rec = make([]string, len(head))
	lead := len(head) - len(cols)
	for _, id := range scope {
		if clusterID == 0 {
			rec[0] = clusterColumn(id)
		}
		series := make([][]int, len(cols))
		for k, i := range cols {
			series[k] = b.series(id, i)
		}
		for n := range b.n {
			rec[lead-1] = from.Add(time.Duration(n) * compliance.Interval).Format(ReportTimeLayout)
			for k, s := range series {
				v := 0
				if s != nil {
					v = s[n]
				}
				rec[lead+k] = formatScaled(v)
			}
			if err := rw.row(rec); err != nil {
				return err
			}
		}
	}

	// The daily peaks of the scope's summed series.
	if err := rw.create(FileDailyPeaks, append([]string{"date"}, head[lead:]...)); err != nil {
		return err
	}
	peaks := make([][]compliance.DayPeak, len(cols))
	for k, i := range cols {
		peaks[k] = compliance.SeriesPeaks(from, b.total(i))
	}
	rec = make([]string, 1+len(cols))
	for d := range peaks[0] {
		rec[0] = peaks[0][d].Day.Format(ReportDateLayout)
		for k := range cols {
			rec[1+k] = formatScaled(peaks[k][d].Peak)
		}
		if err := rw.row(rec); err != nil {
			return err
		}
	}
	if err := rw.end(); err != nil {
		return err
	}
	return zw.Close()
}

// clusterColumn is a cluster id as the report writes it; 0, the samples
// stored before clusters were recorded whose bridge was already gone, is
// left empty (the cluster is unknown).
func clusterColumn(id int) string {
	if id == 0 {
		return ""
	}
	return strconv.Itoa(id)
}

func formatScaled(v int) string {
	if v >= 0 && v < len(hundredths) {
		return hundredths[v]
	}
	return strconv.FormatFloat(unscale(v), 'f', -1, 64)
}

// formatValue writes a reported value as its shortest decimal.
func formatValue(v float64) string {
	if k := int(v*Scale + 0.5); k >= 0 && k < len(hundredths) && float64(k)/Scale == v {
		return hundredths[k]
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// hundredths holds the text of 0, 0.01, … 99.99: nearly every value of
// a report, formatted once rather than 600,000 × 8 times.
var hundredths = func() []string {
	out := make([]string, 100*Scale)
	for k := range out {
		out[k] = strconv.FormatFloat(float64(k)/Scale, 'f', -1, 64)
	}
	return out
}()

// reportWriter writes the CSV files of the archive one after the other
// and reports progress.
type reportWriter struct {
	zw       *zip.Writer
	csv      *csv.Writer
	file     string
	now      time.Time
	done     int64
	total    int64
	progress Progress
}

func (w *reportWriter) create(name string, header []string) error {
	if err := w.end(); err != nil {
		return err
	}
	f, err := w.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: w.now})
	if err != nil {
		return err
	}
	w.csv, w.file = csv.NewWriter(f), name
	w.csv.UseCRLF = true // RFC 4180's line break (LI-66)
	w.progress(name, w.done, w.total)
	return w.csv.Write(header)
}

func (w *reportWriter) row(rec []string) error {
	if err := w.csv.Write(rec); err != nil {
		return err
	}
	w.done++
	if w.done%progressEvery == 0 {
		w.progress(w.file, w.done, w.total)
	}
	return nil
}

// end flushes the current file.
func (w *reportWriter) end() error {
	if w.csv == nil {
		return nil
	}
	w.csv.Flush()
	w.progress(w.file, w.done, w.total)
	return w.csv.Error()
}
