// The licensing strings (IM-25: localisable): the Licenses page, its
// utilisation graphs and report, the Overview's licence status block and
// the Settings › Licensing tab, kept next to the code like the Meetings
// area's; the shared ones (Cancel, Loading…, times) come from ../strings.
// Enforcement warnings and remedies come from the server as it words them.

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const tl = {
  title: "Licenses",
  intro: "Licence status, allocations and usage of each feature.",

  // Mode states.
  modeUnset: "No licensing mode is set yet.",
  modeUnsetAction: "Choose one in Settings › Licensing",
  modeNone: "Licensing is handled by another instance: this one is set to No licensing, for the second instance of a resilient pair.",
  modeSmart: "Smart Licensing",
  modeTraditional: "Traditional licensing",
  modeNoneLabel: "No licensing",
  modeUnsetLabel: "Not set",
  modeLine: (mode: string) => `Licensing mode: ${mode}.`,
  changeMode: "Change in Settings › Licensing",
  backfill: "Usage history is still loading from the Call Bridges: peaks and statuses may rise when it arrives.",
  evaluated: (when: string) => `Status evaluated ${when}.`,

  // Cluster selector (Traditional).
  cluster: "Cluster",
  noClusters: "There are no clusters yet. Traditional licences are read from the Call Bridges of a cluster: add one under Servers.",

  // Features.
  features: {
    meetings: "Meetings",
    recording: "Recording or streaming",
    customization: "Customization",
    unknown: "Feature",
  },
  status: {
    unlicensed: "Unlicensed",
    inCompliance: "In compliance",
    overThreshold: "Over 80% threshold",
    insufficient: "Insufficient licenses",
    outOfCompliance: "Out of compliance",
    licensed: "Licensed",
    unknown: "Unknown",
  },
  types: {
    pmpPlus: "PMP Plus",
    smpPlus: "SMP Plus",
    recording: "Recording",
    streaming: "Streaming",
    unknown: "Licence type",
  },
  usageTypes: {
    pmp: "PMP Plus in use (pmp)",
    pmpAssigned: "PMP Plus assigned to users (pmpAssigned)",
    smpAudio: "SMP Plus, audio-only calls (smpAud)",
    smpPointToPoint: "SMP Plus, point-to-point calls (smpPtP)",
    smpFull: "SMP Plus, full meetings (smpFull)",
    smpPlus: "SMP Plus, all calls",
    recording: "Recording (rec)",
    streaming: "Streaming (str)",
  },

  // A feature box.
  startTrial: "Start trial",
  startTrialTitle: (feature: string) => `Start the ${feature} trial?`,
  startTrialBody: (feature: string) =>
    `The ${feature} trial lasts 90 days and can be used only once${feature === "Meetings" ? "; it covers every feature" : ""}. It cannot be stopped once started.`,
  startTrialBodyCluster: (cluster: string) => `The trial is for the cluster ${cluster} and is recorded on its Call Bridges.`,
  trialStarted: (feature: string, days: number) => `The ${feature} trial started: ${plural(days, "day", "days")} left.`,
  trialDaysLeft: (days: number) => `Trial: ${plural(days, "day", "days")} left`,
  trialCovered: "Covered by the Meetings trial",
  trialEnded: "Trial used",
  typeCaption: (feature: string) => `${feature} allocations and peaks`,
  type: "Licence type",
  allocated: "Allocated",
  peak: "90-day peak",
  percentage: "Peak %",
  daysOverTitle: (n: number) => `Over the allocation on ${plural(n, "day", "days")} of the last 90.`,
  typeStatus: "Status",
  notInstalled: "Not installed",
  notInstalledHelp: "In use, but no licence is installed on the cluster: no percentage can be computed.",
  yes: "Yes",
  no: "No",
  remedies: "What you can do",
  ssmCompliance: "Smart Software Manager",
  ssmInCompliance: "SSM counts enough purchased licences for the allocation.",
  ssmShortfall: "SSM counts fewer purchased licences than allocated.",
  ssmPurchased: (type: string, n: number) => `${type}: ${n} purchased`,
  percent: (p: number) => `${p.toFixed(p >= 10 ? 0 : 1)}%`,

  // The allocation dialog (Smart).
  editAllocation: "Edit allocation",
  editAllocationLabel: (feature: string) => `Edit allocation (${feature})`,
  allocationTitle: "Edit allocations",
  allocationIntro:
    "Enter the licences of your Smart Account's Virtual Account. Enter 0 for a type you do not have: a blank field is not zero. Switchboard checks the numbers with Smart Software Manager.",
  allocationRequired: (label: string) => `${label} is required: enter 0 if you have none.`,
  allocationWhole: (label: string) => `${label} must be a whole number of 0 or more.`,
  allocationTooLarge: (label: string) => `${label} is too large.`,
  customizationAllocated: "Customization",
  allocationSaved: "The allocations were saved. The Call Bridges get the new licence status within 5 minutes.",

  // Utilisation graphs.
  utilization: "Utilisation",
  utilizationHelp: "Usage per 5 minutes for one day, or each day's peak for longer ranges (at most 90 days). Times are UTC.",
  startDate: "From",
  endDate: "To",
  licenseType: "Licence type",
  rangeInvalid: "The end date must not be before the start date.",
  rangeTooLong: (days: number) => `The range is ${days} days; at most 90 are allowed.`,
  chartLabel: (type: string, from: string, to: string) => `${type} usage from ${from} to ${to}`,
  chartPoints: (n: number) => plural(n, "point", "points"),
  chartEmpty: "No usage was recorded in this range.",
  chartPeak: (value: string) => `Highest: ${value}`,
  allocationLine: (n: number) => `Allocated: ${n}`,
  chartNotInstalled: "No licence of this type is installed: usage is shown above a broken axis, without percentages.",
  pointTitle: (when: string, value: string, pct: string | null) => `${when}: ${value}${pct ? ` (${pct} of allocation)` : ""}`,

  // The 90-day report.
  report: "90-day report",
  reportHelp: (scope: string) => `license-data.zip: host-reported.csv, cluster-bins.csv and daily-peaks.csv for the last 90 days of ${scope}.`,
  reportScopeDeployment: "every cluster",
  reportScopeCluster: (name: string) => `the cluster ${name}`,
  download: "Download report",
  downloading: "Preparing the report",
  downloadProgress: (written: number, total: number) => `${written} of ${total} rows`,
  downloaded: (size: string) => `license-data.zip was saved (${size}).`,
  downloadFailed: (reason: string) => `The report could not be downloaded. ${reason}`,

  // The Overview block.
  overviewTitle: "License status",
  overviewCaption: "License status per feature",
  scope: "Scope",
  deployment: "All clusters",
  openLicenses: "Licenses",
  openClusterLicenses: (cluster: string) => `Licenses of ${cluster}`,

  // Settings.
  settingsTitle: "Settings",
  settingsTabs: "Settings",
  tabLicensing: "Licensing",
  modeTitle: "Licensing mode",
  modeHelp: "Each Switchboard instance runs in exactly one licensing mode.",
  modeCurrent: (mode: string) => `Current mode: ${mode}.`,
  modeChoice: "Licensing mode",
  smartHelp: "Recommended. Licences come from Cisco Smart Software Manager; Switchboard reports usage daily.",
  traditionalHelp: "Licence files installed on the Call Bridges. Being phased out.",
  traditionalUnavailable: "Licence files installed on the Call Bridges. Not available: no connected Call Bridge has traditional licences.",
  noneHelp: "Only for the second instance of a resilient pair, whose other instance does the licensing.",
  acknowledge: "Another Switchboard instance handles licensing for these clusters",
  acknowledgeHelp: "Only one instance of a resilient pair may report to Smart Software Manager, or usage is counted twice.",
  acknowledgeRequired: "Confirm that another instance handles licensing.",
  saveMode: "Save mode",
  modeSaved: (mode: string) => `The licensing mode is now ${mode}.`,
  deregistered: "This instance was deregistered from Smart Software Manager.",
  ssmNotInformed:
    "This instance left Smart Licensing, but Smart Software Manager could not be reached and was not informed: the local registration was removed. Remove the product instance in Smart Software Manager yourself.",
  viewLicenses: "Go to Licenses",
};
