import { useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { keepPreviousData } from "@tanstack/react-query";
import { LicenseType, LicensingService } from "@switchboard/client";
import { Input, Label, TextField } from "react-aria-components";
import { displayError } from "../errors";
import { formatUtcDate } from "../format";
import { SelectField } from "../meetings/SelectField";
import { LoadError, Panel } from "../ui";
import { usageTypes } from "./labels";
import { tl } from "./strings";
import { UsageChart } from "./UsageChart";

const day = 24 * 60 * 60 * 1000;
/** The longest range GetUtilization answers (LI-52). */
const maxDays = 90;

/** rangeDays counts the UTC days from start to end, both included; NaN for a bad date. */
function rangeDays(start: string, end: string): number {
  const s = Date.parse(`${start}T00:00:00Z`);
  const e = Date.parse(`${end}T00:00:00Z`);
  return Math.round((e - s) / day) + 1;
}

/**
 * UtilizationPanel is the utilisation graphs of the Licenses view (LI-52 …
 * LI-55): a range of UTC days (the last 7 by default, at most 90) and a
 * licence type, drawn by UsageChart. One day gives 288 five-minute points,
 * longer ranges one daily peak per day.
 */
export function UtilizationPanel({ clusterId }: { clusterId: string }) {
  const today = new Date();
  const [end, setEnd] = useState(() => formatUtcDate(today));
  const [start, setStart] = useState(() => formatUtcDate(new Date(today.getTime() - 6 * day)));
  const [type, setType] = useState<LicenseType>(LicenseType.PMP);
  const days = rangeDays(start, end);
  const problem = Number.isNaN(days) ? null : days < 1 ? tl.rangeInvalid : days > maxDays ? tl.rangeTooLong(days) : null;
  const valid = !Number.isNaN(days) && problem === null;
  const series = useQuery(
    LicensingService.method.getUtilization,
    { clusterId, type, startDate: start, endDate: end },
    { enabled: valid, placeholderData: keepPreviousData },
  );
  const typeLabel = usageTypes.find((u) => u.type === type)?.label ?? "";

  return (
    <Panel id="utilization" title={tl.utilization} description={tl.utilizationHelp}>
      <div className="toolbar filters chart-filters">
        <TextField className="field field-date" name="startDate" value={start} onChange={setStart} isInvalid={problem !== null}>
          <Label>{tl.startDate}</Label>
          <Input type="date" max={formatUtcDate(today)} />
        </TextField>
        <TextField className="field field-date" name="endDate" value={end} onChange={setEnd} isInvalid={problem !== null}>
          <Label>{tl.endDate}</Label>
          <Input type="date" max={formatUtcDate(today)} />
        </TextField>
        <SelectField
          label={tl.licenseType}
          value={String(type)}
          onChange={(v) => setType(Number(v) as LicenseType)}
          options={usageTypes.map((u) => ({ id: String(u.type), label: u.label }))}
        />
      </div>
      {problem && (
        <p className="banner banner-error" role="alert">
          {problem}
        </p>
      )}
      {valid && series.error && <LoadError what={tl.utilization} reason={displayError(series.error)} />}
      {valid && series.data && <UsageChart series={series.data} typeLabel={typeLabel} from={start} to={end} />}
    </Panel>
  );
}
