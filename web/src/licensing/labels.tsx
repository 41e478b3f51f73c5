// How licensing enums are shown: names, and the colour of a status or an
// enforcement warning. Shared by the Licenses page, the Overview block
// and the Settings tab.

import {
  AllocationType,
  EnforcementStage,
  Feature,
  LicenseStatus,
  LicenseType,
  LicensingMode,
  type Enforcement,
} from "@switchboard/client";
import { tl } from "./strings";

/** The tone of a status or warning: the colour it is drawn in. */
export type Tone = "ok" | "warn" | "bad" | "muted";

export function featureName(f: Feature): string {
  switch (f) {
    case Feature.MEETINGS:
      return tl.features.meetings;
    case Feature.RECORDING_STREAMING:
      return tl.features.recording;
    case Feature.CUSTOMIZATION:
      return tl.features.customization;
    default:
      return tl.features.unknown;
  }
}

const statuses: Record<LicenseStatus, [string, Tone]> = {
  [LicenseStatus.UNSPECIFIED]: [tl.status.unknown, "muted"],
  [LicenseStatus.UNLICENSED]: [tl.status.unlicensed, "muted"],
  [LicenseStatus.IN_COMPLIANCE]: [tl.status.inCompliance, "ok"],
  [LicenseStatus.OVER_THRESHOLD]: [tl.status.overThreshold, "warn"],
  [LicenseStatus.INSUFFICIENT]: [tl.status.insufficient, "warn"],
  [LicenseStatus.OUT_OF_COMPLIANCE]: [tl.status.outOfCompliance, "bad"],
  [LicenseStatus.LICENSED]: [tl.status.licensed, "ok"],
};

/** StatusBadge is a feature's or type's status, colour-coded. */
export function StatusBadge({ status }: { status: LicenseStatus }) {
  const [label, tone] = statuses[status] ?? statuses[LicenseStatus.UNSPECIFIED];
  return (
    <span className={`lic-status lic-${tone}`} data-status={LicenseStatus[status]} data-testid="license-status">
      {label}
    </span>
  );
}

/** enforcementTone is how serious a warning is: Alarm 1 and countdowns warn, the rest are errors. */
export function enforcementTone(stage: EnforcementStage): Tone {
  switch (stage) {
    case EnforcementStage.ALARM_1:
    case EnforcementStage.AVAILABLE_COUNTDOWN:
      return "warn";
    case EnforcementStage.ALARM_2:
    case EnforcementStage.ALARM_3:
    case EnforcementStage.NOT_AVAILABLE:
      return "bad";
    default:
      return "muted";
  }
}

/** hasWarning reports whether an enforcement warning is to be shown. */
export function hasWarning(e: Enforcement | undefined): e is Enforcement {
  return !!e && e.message !== "" && e.stage !== EnforcementStage.NONE && e.stage !== EnforcementStage.UNSPECIFIED;
}

/** EnforcementWarning is the server's warning text, styled by its stage (LI-36, LI-39). */
export function EnforcementWarning({ enforcement }: { enforcement: Enforcement | undefined }) {
  if (!hasWarning(enforcement)) {
    return null;
  }
  return (
    <span
      className={`lic-warning lic-${enforcementTone(enforcement.stage)}`}
      data-stage={EnforcementStage[enforcement.stage]}
      data-testid="enforcement"
      title={enforcement.reason || undefined}
    >
      {enforcement.message}
    </span>
  );
}

export function allocationTypeName(t: AllocationType): string {
  switch (t) {
    case AllocationType.PMP_PLUS:
      return tl.types.pmpPlus;
    case AllocationType.SMP_PLUS:
      return tl.types.smpPlus;
    case AllocationType.RECORDING:
      return tl.types.recording;
    case AllocationType.STREAMING:
      return tl.types.streaming;
    default:
      return tl.types.unknown;
  }
}

/** The licence types of the utilisation graphs, in the order of the filter. */
export const usageTypes: readonly { type: LicenseType; label: string }[] = [
  { type: LicenseType.PMP, label: tl.usageTypes.pmp },
  { type: LicenseType.SMP_PLUS, label: tl.usageTypes.smpPlus },
  { type: LicenseType.SMP_AUDIO, label: tl.usageTypes.smpAudio },
  { type: LicenseType.SMP_POINT_TO_POINT, label: tl.usageTypes.smpPointToPoint },
  { type: LicenseType.SMP_FULL, label: tl.usageTypes.smpFull },
  { type: LicenseType.PMP_ASSIGNED, label: tl.usageTypes.pmpAssigned },
  { type: LicenseType.RECORDING, label: tl.usageTypes.recording },
  { type: LicenseType.STREAMING, label: tl.usageTypes.streaming },
];

export function modeName(m: LicensingMode): string {
  switch (m) {
    case LicensingMode.SMART:
      return tl.modeSmart;
    case LicensingMode.TRADITIONAL:
      return tl.modeTraditional;
    case LicensingMode.NONE:
      return tl.modeNoneLabel;
    default:
      return tl.modeUnsetLabel;
  }
}
