// The utilisation graph (LI-52 … LI-55) as inline SVG: no chart library.
// One day is a line of 288 five-minute points; longer ranges are bars of
// each day's peak. The allocation, when there is one, is a dashed line;
// every point's title carries its time, value and percentage. When the
// type is in use with no licence installed (LI-22) the y-axis is drawn
// broken at the bottom and no percentages are shown.

import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Granularity, PercentageState, type GetUtilizationResponse } from "@switchboard/client";
import { t } from "../strings";
import { tl } from "./strings";

const width = 760;
const height = 240;
const pad = { left: 48, right: 16, top: 16, bottom: 32 };
const plotW = width - pad.left - pad.right;
const plotH = height - pad.top - pad.bottom;

/** niceMax rounds the top of the y-axis up to a round multiple of a power of ten. */
function niceMax(v: number): number {
  if (v <= 1) {
    return 1;
  }
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (v <= m * p) {
      return m * p;
    }
  }
  return 10 * p;
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

interface UsageChartProps {
  series: GetUtilizationResponse;
  typeLabel: string;
  from: string;
  to: string;
}

/** UsageChart draws one licence type's series. */
export function UsageChart({ series, typeLabel, from, to }: UsageChartProps) {
  const points = series.points;
  const fiveMinutes = series.granularity === Granularity.FIVE_MINUTES;
  const allocated = series.allocated;
  const peak = points.reduce((m, p) => Math.max(m, p.value), 0);
  const top = niceMax(Math.max(peak, allocated ?? 0) * 1.1);
  const y = (v: number) => pad.top + plotH - (v / top) * plotH;
  const n = Math.max(points.length, 1);
  const step = plotW / n;
  const x = (i: number) => pad.left + step * i + step / 2;
  const label = tl.chartLabel(typeLabel, from, to);

  const times = points.map((p) => (p.time ? timestampDate(p.time) : null));
  const when = (i: number) => {
    const d = times[i];
    if (!d) {
      return "";
    }
    const iso = d.toISOString();
    return fiveMinutes ? t.common.utc(iso.slice(11, 16)) : iso.slice(0, 10);
  };
  const pointTitle = (i: number) => {
    const p = points[i];
    if (!p) {
      return "";
    }
    const pct = p.percentageState === PercentageState.COMPUTED && p.percentage !== undefined ? tl.percent(p.percentage) : null;
    const d = times[i];
    const full = d ? (fiveMinutes ? t.common.utc(d.toISOString().slice(0, 16).replace("T", " ")) : d.toISOString().slice(0, 10)) : "";
    return tl.pointTitle(full, formatValue(p.value), pct);
  };

  // X labels: first, middle and last.
  const xLabels = points.length === 0 ? [] : [...new Set([0, Math.floor((points.length - 1) / 2), points.length - 1])];
  const yTicks = [0, top / 2, top];
  const line = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");

  return (
    <figure className="chart" data-testid="utilization-chart" data-points={points.length} data-granularity={Granularity[series.granularity]}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
        <title>{label}</title>
        {/* Grid and y-axis. */}
        {yTicks.map((v) => (
          <g key={v} className="chart-grid">
            <line x1={pad.left} x2={width - pad.right} y1={y(v)} y2={y(v)} />
            <text x={pad.left - 6} y={y(v) + 4} textAnchor="end">
              {formatValue(v)}
            </text>
          </g>
        ))}
        <line className="chart-axis" x1={pad.left} x2={pad.left} y1={pad.top} y2={pad.top + plotH} />
        {series.notInstalled && (
          // The broken y-axis (LI-22): a zigzag across the axis near zero.
          <path
            className="chart-break"
            data-testid="axis-break"
            d={`M${pad.left - 7},${y(0) - 10} l7,-4 l7,4 M${pad.left - 7},${y(0) - 16} l7,-4 l7,4`}
          />
        )}
        {/* The series. */}
        {fiveMinutes ? (
          <>
            {points.length > 0 && <path className="chart-line" d={line} />}
            {points.map((p, i) => (
              <rect key={i} className="chart-hit" data-testid="chart-point" x={x(i) - step / 2} y={pad.top} width={step} height={plotH}>
                <title>{pointTitle(i)}</title>
              </rect>
            ))}
          </>
        ) : (
          points.map((p, i) => {
            const h = Math.max(y(0) - y(p.value), p.value > 0 ? 1 : 0);
            return (
              <rect key={i} className="chart-bar" data-testid="chart-point" x={x(i) - (step * 0.7) / 2} y={y(0) - h} width={step * 0.7} height={h}>
                <title>{pointTitle(i)}</title>
              </rect>
            );
          })
        )}
        {allocated !== undefined && (
          <g className="chart-allocation" data-testid="allocation-line">
            <line x1={pad.left} x2={width - pad.right} y1={y(allocated)} y2={y(allocated)}>
              <title>{tl.allocationLine(allocated)}</title>
            </line>
            <text x={width - pad.right} y={y(allocated) - 4} textAnchor="end">
              {tl.allocationLine(allocated)}
            </text>
          </g>
        )}
        {xLabels.map((i) => (
          <text key={i} className="chart-xlabel" x={x(i)} y={height - 10} textAnchor={i === 0 ? "start" : i === points.length - 1 ? "end" : "middle"}>
            {when(i)}
          </text>
        ))}
      </svg>
      <figcaption className="chart-caption muted">
        {tl.chartPoints(points.length)} · {tl.chartPeak(formatValue(peak))}
        {allocated !== undefined && ` · ${tl.allocationLine(allocated)}`}
        {peak === 0 && points.length > 0 && ` · ${tl.chartEmpty}`}
      </figcaption>
      {series.notInstalled && <p className="banner banner-warning">{tl.chartNotInstalled}</p>}
    </figure>
  );
}
