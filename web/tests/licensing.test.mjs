// Licensing in the console against the real server binary, a real Call
// Bridge simulator (cmsim, one standalone bridge with a week of preloaded
// licence usage and a licence file) and the Smart Software Manager
// simulator (ssmsim), in Chromium: a fresh install says no licensing mode
// is set and points to Settings › Licensing; the administrator tries No
// licensing (which needs the acknowledgement), chooses Smart and registers
// with a token; enters the allocations (a blank is refused in the page, an
// out-of-range count by the server, next to its field); sees the three
// feature boxes with the allocated values, starts a trial and sees its
// days left; connects the bridge and reads its usage in the utilisation
// graph (the points GetUtilization returns, for the default week and for
// one day); downloads the 90-day report as license-data.zip; finds the
// licence status on the Overview, with a link for the administrator and
// read-only for a video operator; and, leaving Smart for Traditional with
// SSM down, is told SSM was not informed, follows the Overview's
// per-cluster link to the Licenses page, and sees a type with no licence
// installed. The tests share one server and run in order.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { openPage, randomPassword, shoot, signIn, startHarness } from "./harness.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const cmsimBin = process.env.CMSIM_BIN || resolve(here, "../../bin/cmsim");
const ssmsimBin = process.env.SSMSIM_BIN || resolve(here, "../../bin/ssmsim");
const apiPassword = "sim-API-password-3";

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
let admin;
let sim;
let ssm;
const operator = { username: "lena.operator", password: randomPassword() };

/** startCmsim starts one standalone bridge with a week of office-hours licence usage behind it. */
async function startCmsim() {
  if (!existsSync(cmsimBin)) {
    throw new Error(`no cmsim binary at ${cmsimBin}: go build -o bin/cmsim ./cmd/cmsim`);
  }
  const caFile = join(tmpdir(), `cmsim-licensing-test-${process.pid}.pem`);
  const proc = spawn(
    cmsimBin,
    ["--clusters", "1", "--bridges", "1", "--scenario", "none", "--license-history-days", "7", "--json", "--ca-file", caFile, "--username", "api", "--password", apiPassword],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const info = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`cmsim did not describe its bridges:\n${out}`)), 15_000);
    proc.stdout.on("data", (chunk) => {
      out += chunk.toString();
      try {
        const parsed = JSON.parse(out);
        clearTimeout(timer);
        ok(parsed);
      } catch {
        // not complete yet
      }
    });
    proc.once("exit", (code) => fail(new Error(`cmsim exited (${code}):\n${out}`)));
  });
  return { proc, info, ca: await readFile(info.caFile, "utf8") };
}

/** rpc calls a Connect method as the signed-in user of page and returns the JSON answer. */
async function rpc(page, path, body) {
  const res = await rpcRaw(page, path, body);
  assert.equal(res.status, 200, `${path}: ${res.status} ${res.text}`);
  return JSON.parse(res.text);
}

/** rpcRaw calls a Connect method and returns its HTTP status and body. */
function rpcRaw(page, path, body) {
  return page.evaluate(
    async ([p, b]) => {
      const r = await fetch(p, {
        method: "POST",
        headers: { "content-type": "application/json", "connect-protocol-version": "1" },
        body: JSON.stringify(b),
      });
      return { status: r.status, text: await r.text() };
    },
    [path, body],
  );
}

/** control calls cmsim's control API. */
async function control(method, path, body) {
  const res = await fetch(`${sim.info.control}${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.equal(res.status, 200, `cmsim control ${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** utcDate writes a date as YYYY-MM-DD in UTC. */
function utcDate(d) {
  return d.toISOString().slice(0, 10);
}

/** startSsmsim starts the Smart Software Manager simulator with two virtual accounts, VA1 and VA2, and their tokens. */
async function startSsmsim() {
  if (!existsSync(ssmsimBin)) {
    throw new Error(`no ssmsim binary at ${ssmsimBin}: make build, or go build -o bin/ssmsim ./cmd/ssmsim`);
  }
  const caFile = join(tmpdir(), `ssmsim-licensing-test-${process.pid}.pem`);
  const proc = spawn(ssmsimBin, ["--json", "--ca-file", caFile, "--account", "VA1=PMP_PLUS:50,SMP_PLUS:20,RECORDING_STREAMING:5,CUSTOMIZATION:1", "--account", "VA2=PMP_PLUS:10"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const info = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`ssmsim did not describe itself:\n${out}`)), 15_000);
    proc.stdout.on("data", (chunk) => {
      out += chunk.toString();
      try {
        const parsed = JSON.parse(out);
        clearTimeout(timer);
        ok(parsed);
      } catch {
        // not complete yet
      }
    });
    proc.once("exit", (code) => fail(new Error(`ssmsim exited (${code}):\n${out}`)));
  });
  return { proc, info };
}

before(async () => {
  sim = await startCmsim();
  ssm = await startSsmsim();
  // The harness hands its environment to the server: SSM's address and CA.
  process.env.SWITCHBOARD_SSM_URL = ssm.info.url;
  process.env.SWITCHBOARD_SSM_CA_FILE = ssm.info.caFile;
  h = await startHarness();
  const context = await h.newContext({ acceptDownloads: true });
  const { page, errors } = await openPage(context);
  await page.goto("/");
  await signIn(page, "admin", h.adminPassword);
  await rpc(page, "/switchboard.users.v1.UserService/CreateLocalUser", {
    username: operator.username,
    firstName: "Lena",
    lastName: "Operator",
    role: "ROLE_VIDEO_OPERATOR",
    password: operator.password,
  });
  admin = { context, page, errors };
});

after(async () => {
  await admin?.context.close();
  await h?.stop();
  sim?.proc.kill("SIGTERM");
  ssm?.proc.kill("SIGTERM");
});

test("a fresh install says no licensing mode is set and links to Settings › Licensing", { timeout: 60_000 }, async (t) => {
  const { page, errors } = admin;
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Licenses" }).click();
  await page.getByRole("heading", { level: 1, name: "Licenses" }).waitFor();
  const notice = page.getByTestId("mode-unset");
  await notice.getByText("No licensing mode is set yet.").waitFor();
  // No licensing on the Overview either (OV-12): the block is hidden.
  await shoot(t, page, "licenses-mode-unset", { fullPage: true });
  await notice.getByRole("link", { name: "Choose one in Settings › Licensing" }).click();
  await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/settings/licensing");
  assert.equal(await page.getByRole("tab", { name: "Licensing" }).getAttribute("aria-selected"), "true");
  await page.getByTestId("current-mode").getByText("Current mode: Not set.").waitFor();
  assert.deepEqual(errors, []);
});

test("Settings › Licensing: Traditional needs licence files, No licensing needs the acknowledgement, then Smart is chosen", { timeout: 60_000 }, async (t) => {
  const { page, errors } = admin;
  const form = page.getByRole("region", { name: "Licensing mode" });
  // No bridge has licence files: Traditional is shown but cannot be picked (LI-04).
  assert.equal(await form.getByRole("radio", { name: /Traditional licensing/ }).isDisabled(), true);

  // No licensing without the acknowledgement is refused in the page (LI-05).
  await form.getByText("No licensing", { exact: true }).click();
  const ack = form.getByRole("checkbox", { name: "Another Switchboard instance handles licensing for these clusters" });
  await ack.waitFor({ state: "attached" });
  await form.getByRole("button", { name: "Save mode" }).click();
  await form.getByText("Confirm that another instance handles licensing.").waitFor();
  // With it, the mode is None, and the Licenses page says another instance licenses.
  await form.locator(".checkbox-box").click();
  await form.getByRole("button", { name: "Save mode" }).click();
  await form.getByText("The licensing mode is now No licensing.").waitFor();
  await page.getByTestId("current-mode").getByText("Current mode: No licensing.").waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Licenses" }).click();
  await page.getByTestId("mode-none").getByText(/Licensing is handled by another instance/).waitFor();
  const overview = await rpc(page, "/switchboard.overview.v1.OverviewService/GetOverview", {});
  assert.equal(overview.licenseStatus, undefined, "mode None: no licence status on the Overview (OV-12)");

  // Back in Settings, Smart Licensing.
  await page.getByTestId("mode-none").getByRole("link", { name: "Change in Settings › Licensing" }).click();
  await form.getByText("Smart Licensing", { exact: true }).click();
  await form.getByRole("button", { name: "Save mode" }).click();
  await form.getByText("The licensing mode is now Smart Licensing.").waitFor();
  await page.getByTestId("current-mode").getByText("Current mode: Smart Licensing.").waitFor();
  const mode = await rpc(page, "/switchboard.licensing.v1.LicensingService/GetLicensingMode", {});
  assert.equal(mode.mode, "LICENSING_MODE_SMART");
  await shoot(t, page, "settings-licensing-smart", { fullPage: true });
  assert.deepEqual(errors, []);
});

test("Smart Licensing in Settings: register with a token, renew, reregister to another virtual account, deregister, register again", { timeout: 60_000 }, async (t) => {
  const { page, errors } = admin;
  const panel = page.getByRole("region", { name: "Smart Licensing" });
  await panel.getByTestId("registration-state").getByText("Not registered").waitFor();
  // A blank token is refused in the page; a wrong one by SSM, on the field.
  await panel.getByRole("button", { name: "Register" }).click();
  await panel.getByText("Registration token is required.").waitFor();
  await panel.getByLabel("Registration token").fill("not-a-real-token");
  await panel.getByRole("button", { name: "Register" }).click();
  const tokenError = panel.locator(".field").filter({ has: page.getByLabel("Registration token") }).locator(".field-error");
  await tokenError.or(panel.locator(".banner-error")).first().waitFor();
  t.diagnostic(`refused token: ${await tokenError.or(panel.locator(".banner-error")).first().textContent()}`);

  await panel.getByLabel("Registration token").fill(ssm.info.tokens.VA1);
  await panel.getByRole("button", { name: "Register" }).click();
  await panel.getByText("This instance is registered in the virtual account VA1.").waitFor();
  await panel.getByTestId("registration-state").getByText("Registered", { exact: true }).waitFor();
  assert.equal((await panel.getByTestId("virtual-account").textContent())?.trim(), "VA1");
  const facts = panel.getByTestId("smart-facts");
  assert.match((await facts.textContent()) ?? "", /Next authorization renewal\d{4}-\d{2}-\d{2} 00:00:00 UTC/);

  const actions = panel.getByRole("group", { name: "Smart Licensing actions" });
  await actions.getByRole("button", { name: "Renew authorization now" }).click();
  await panel.getByText("The authorization was renewed.").waitFor();
  await actions.getByRole("button", { name: "Renew registration now" }).click();
  await panel.getByText("The registration was renewed.").waitFor();
  await shoot(t, page, "settings-smart-registered", { fullPage: true });

  // Reregister with a token of the second virtual account (LI-76).
  await actions.getByRole("button", { name: "Reregister…" }).click();
  const rereg = page.getByRole("dialog", { name: "Reregister with another virtual account" });
  await rereg.getByLabel("Registration token").fill(ssm.info.tokens.VA2);
  await rereg.getByRole("button", { name: "Reregister" }).click();
  await rereg.waitFor({ state: "detached" });
  await panel.getByText("This instance is registered in the virtual account VA2.").waitFor();
  assert.equal((await panel.getByTestId("virtual-account").textContent())?.trim(), "VA2");

  // Deregister with SSM up: SSM was told (LI-77), and the form to register comes back.
  await actions.getByRole("button", { name: "Deregister…" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Deregister from Smart Software Manager?" });
  await confirm.getByRole("button", { name: "Deregister" }).click();
  await confirm.waitFor({ state: "detached" });
  await page.getByText("This instance was deregistered from Smart Software Manager.").waitFor();
  await panel.getByTestId("registration-state").getByText("Not registered").waitFor();

  // Registered again in VA1 for the tests that follow.
  await panel.getByLabel("Registration token").fill(ssm.info.tokens.VA1);
  await panel.getByRole("button", { name: "Register" }).click();
  await panel.getByText("This instance is registered in the virtual account VA1.").waitFor();
  assert.deepEqual(errors, []);
});

test("the administrator enters allocations: a blank is refused, the server's field error shows, the boxes show the values", { timeout: 60_000 }, async (t) => {
  const { page, errors } = admin;
  const setCalls = [];
  page.on("request", (req) => {
    if (new URL(req.url()).pathname.endsWith("LicensingService/SetAllocation")) {
      setCalls.push(req.url());
    }
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Licenses" }).click();
  await page.getByRole("heading", { level: 1, name: "Licenses" }).waitFor();
  const meetings = page.getByRole("region", { name: "Meetings", exact: true });
  const recording = page.getByRole("region", { name: "Recording or streaming", exact: true });
  const customization = page.getByRole("region", { name: "Customization", exact: true });
  await meetings.waitFor();
  await recording.waitFor();
  await customization.waitFor();
  // The header, in order: name, status, then the Start trial action if offered.
  await meetings.getByTestId("license-status").first().waitFor();

  await meetings.getByRole("button", { name: "Edit allocation (Meetings)" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit allocations" });
  await dialog.getByLabel("PMP Plus").fill("10");
  await dialog.getByLabel("Recording").fill("2");
  await dialog.getByLabel("Streaming").fill("0");
  await dialog.getByText("No", { exact: true }).click();
  // SMP Plus left blank: refused here, and nothing is sent.
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.getByText("SMP Plus is required: enter 0 if you have none.").waitFor();
  assert.equal(await dialog.getByLabel("SMP Plus").getAttribute("aria-invalid"), "true");
  assert.equal(setCalls.length, 0, "a blank allocation was sent to the server");

  // Over the server's limit: its refusal shows on the field.
  await dialog.getByLabel("SMP Plus").fill("2000000");
  await dialog.getByRole("button", { name: "Save" }).click();
  const smpError = dialog.locator(".field").filter({ has: page.getByLabel("SMP Plus") }).locator(".field-error");
  await smpError.waitFor();
  const refusal = (await smpError.textContent()) ?? "";
  t.diagnostic(`server refusal: ${refusal}`);
  assert.match(refusal, /^SMP Plus .+|1000000/);
  assert.equal(setCalls.length, 1);
  await shoot(t, dialog, "licenses-allocation-refused");

  await dialog.getByLabel("SMP Plus").fill("5");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByText(/^The allocations were saved\./).waitFor();

  const allocated = async (box, type) => (await box.getByRole("row").filter({ has: page.getByRole("rowheader", { name: type, exact: true }) }).getByTestId("allocated").textContent())?.trim();
  await meetings.getByRole("rowheader", { name: "PMP Plus", exact: true }).waitFor();
  assert.equal(await allocated(meetings, "PMP Plus"), "10");
  assert.equal(await allocated(meetings, "SMP Plus"), "5");
  assert.equal(await allocated(recording, "Recording"), "2");
  assert.equal(await allocated(recording, "Streaming"), "0");
  assert.equal((await customization.getByTestId("customization-allocated").textContent())?.trim(), "No");
  // Licensed features offer no trial (LI-24, LI-25).
  assert.equal(await meetings.getByRole("button", { name: "Start trial" }).count(), 0);
  assert.equal(await recording.getByRole("button", { name: "Start trial" }).count(), 0);
  await shoot(t, page, "licenses-allocated", { fullPage: true });
  assert.deepEqual(errors, []);
});

test("the administrator starts the Customization trial and sees its days left", { timeout: 60_000 }, async (t) => {
  const { page, errors } = admin;
  const customization = page.getByRole("region", { name: "Customization", exact: true });
  await customization.getByRole("button", { name: "Start trial" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Start the Customization trial?" });
  await confirm.getByText(/lasts 90 days/).waitFor();
  await confirm.getByRole("button", { name: "Start trial" }).click();
  await confirm.waitFor({ state: "detached" });
  await customization.getByTestId("trial-days-left").getByText(/^Trial: \d+ days? left$/).waitFor();
  const text = (await customization.getByTestId("trial-days-left").textContent()) ?? "";
  const days = Number(/(\d+)/.exec(text)?.[1]);
  assert.ok(days >= 89 && days <= 90, `days left: ${text}`);
  await customization.getByTestId("license-status").filter({ hasText: "Licensed" }).waitFor();
  assert.equal(await customization.getByRole("button", { name: "Start trial" }).count(), 0, "the trial is still offered after it started");
  await shoot(t, customization, "licenses-trial");
  assert.deepEqual(errors, []);
});

test("the bridge's preloaded usage shows in the utilisation graph: a week of daily peaks with the allocation, a day of 5-minute points", { timeout: 120_000 }, async (t) => {
  const { page, errors } = admin;
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 24 * 3600 * 1000);
  const weekRequest = { type: "LICENSE_TYPE_PMP", startDate: utcDate(weekAgo), endDate: utcDate(today) };

  // Connect the bridge (after the CDR receiver address a managed bridge
  // needs); the server collects its week of usage history.
  await rpc(page, "/switchboard.servers.v1.ServerService/UpdateCdrReceiverSettings", { address: `127.0.0.1:${new URL(h.baseURL).port}` });
  const [bridge] = sim.info.bridges;
  const url = new URL(bridge.url);
  // The first backfill starts as soon as the bridge is added; a slow link
  // (300 ms a request, the week's history in 21 pages) keeps it running
  // long enough to see the notice.
  await control("POST", `/v1/bridges/${bridge.name}/latency`, { ms: 300 });
  await rpc(page, "/switchboard.servers.v1.ServerService/AddCallBridge", {
    displayName: "Tromsø 1",
    connection: { address: url.hostname, port: Number(url.port), username: "api", password: apiPassword, verifyCertificate: true, trustedChainPem: sim.ca },
  });
  // Until the bridge's history is in, the Licenses view says so (LI-58).
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Licenses" }).click();
  await page.getByRole("region", { name: "Meetings", exact: true }).waitFor();
  const early = await rpc(page, "/switchboard.licensing.v1.LicensingService/GetLicenseDetails", {});
  assert.equal(early.usageBackfillInProgress, true, "no backfill in progress right after adding the bridge");
  await page.reload(); // the page shows what it read before the bridge came
  await page.getByTestId("backfill-notice").getByText(/^Usage history is still loading/).waitFor();
  await shoot(t, page, "licenses-backfill", { fullPage: true });
  await control("POST", `/v1/bridges/${bridge.name}/latency`, { ms: 0 });

  // The collection job runs every 5 minutes; run it now (as an
  // administrator can, SystemService.RunJob) rather than wait.
  let week;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { jobs } = await rpc(page, "/switchboard.system.v1.SystemService/ListJobs", {});
    for (const job of jobs.filter((j) => j.name.startsWith("license-usage/"))) {
      // A run already under way answers an error: the next round tries again.
      await rpcRaw(page, "/switchboard.system.v1.SystemService/RunJob", { name: job.name });
    }
    await new Promise((r) => setTimeout(r, 1500));
    week = await rpc(page, "/switchboard.licensing.v1.LicensingService/GetUtilization", weekRequest);
    if (week.points.some((p) => (p.value ?? 0) > 0)) {
      break;
    }
    assert.ok(Date.now() < deadline, `no usage collected from the bridge: ${JSON.stringify(week)}`);
  }
  const peak = Math.max(...week.points.map((p) => p.value ?? 0));
  t.diagnostic(`week: ${week.points.length} points, peak ${peak}, allocated ${week.allocated}`);

  // The run that stored the history ends the backfill.
  const caughtUp = Date.now() + 20_000;
  while ((await rpc(page, "/switchboard.licensing.v1.LicensingService/GetLicenseDetails", {})).usageBackfillInProgress) {
    assert.ok(Date.now() < caughtUp, "the backfill is still reported after the history came in");
    await new Promise((r) => setTimeout(r, 500));
  }
  await page.reload();
  await page.getByRole("region", { name: "Meetings", exact: true }).waitFor();
  assert.equal(await page.getByTestId("backfill-notice").count(), 0);
  const panel = page.getByRole("region", { name: "Utilisation" });
  const chart = panel.getByTestId("utilization-chart");
  assert.equal(await panel.getByLabel("From", { exact: true }).inputValue(), utcDate(weekAgo));
  assert.equal(await panel.getByLabel("To", { exact: true }).inputValue(), utcDate(today));
  assert.equal(week.points.length, 7);
  await chart.and(page.locator('[data-points="7"][data-granularity="DAY"]')).waitFor();
  assert.equal(await chart.getByTestId("chart-point").count(), week.points.length);
  await chart.getByText(`Highest: ${Number.isInteger(peak) ? peak : peak.toFixed(2)}`).waitFor();
  // The PMP Plus allocation (10) is drawn, and the points carry their percentage.
  assert.equal(week.allocated, 10);
  await chart.getByTestId("allocation-line").locator("text").getByText("Allocated: 10").waitFor();
  const titles = await chart.getByTestId("chart-point").locator("title").allTextContents();
  assert.ok(titles.some((x) => / of allocation\)$/.test(x)), `no percentage in the point titles: ${titles.join(" | ")}`);
  await shoot(t, panel, "licenses-chart-week");

  // One day: 288 five-minute points.
  await panel.getByLabel("From", { exact: true }).fill(utcDate(today));
  await chart.and(page.locator('[data-points="288"][data-granularity="FIVE_MINUTES"]')).waitFor();
  assert.equal(await chart.getByTestId("chart-point").count(), 288);
  const title = (await chart.getByTestId("chart-point").first().locator("title").textContent()) ?? "";
  assert.match(title, new RegExp(`^${utcDate(today)} 00:00 UTC: \\d`));
  await shoot(t, panel, "licenses-chart-day");

  // Another licence type.
  await panel.getByRole("button", { name: /Licence type/ }).click();
  await page.getByRole("option", { name: "Recording (rec)" }).click();
  await chart.getByRole("img", { name: new RegExp(`^Recording \\(rec\\) usage from ${utcDate(today)}`) }).waitFor();

  // More than 90 days is refused in the page.
  await panel.getByLabel("From", { exact: true }).fill(utcDate(new Date(today.getTime() - 100 * 24 * 3600 * 1000)));
  await panel.getByText("The range is 101 days; at most 90 are allowed.").waitFor();
  await shoot(t, panel, "licenses-chart-range-refused");
  assert.deepEqual(errors, []);
});

test("the 90-day report downloads as license-data.zip with the three CSV files, its progress read from the stream", { timeout: 60_000 }, async (t) => {
  const { page, errors } = admin;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Licenses" }).click();
  const panel = page.getByRole("region", { name: "90-day report" });
  const [download] = await Promise.all([page.waitForEvent("download"), panel.getByRole("button", { name: "Download report" }).click()]);
  assert.equal(download.suggestedFilename(), "license-data.zip");
  const bytes = await readFile(await download.path());
  assert.equal(bytes.subarray(0, 2).toString("latin1"), "PK");
  const text = bytes.toString("latin1");
  for (const name of ["host-reported.csv", "cluster-bins.csv", "daily-peaks.csv"]) {
    assert.ok(text.includes(name), `the ZIP has no ${name}`);
  }
  // The row count comes from the ReportProgress in the messages' extensions.
  const saved = panel.getByText(/^license-data\.zip was saved \(.+, (\d+) rows?\)\.$/);
  await saved.waitFor();
  const rows = Number(/, (\d+) rows?\)/.exec((await saved.textContent()) ?? "")?.[1]);
  t.diagnostic(`report: ${bytes.length} bytes, ${rows} rows`);
  assert.ok(rows > 0, "no rows reported while the report streamed");
  await shoot(t, panel, "licenses-report");
  assert.deepEqual(errors, []);
});

test("the Overview shows the licence status: with a link for the administrator, read-only for a video operator", { timeout: 60_000 }, async (t) => {
  const { page, errors } = admin;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
  const block = page.getByRole("region", { name: "License status" });
  const table = block.getByRole("table", { name: "License status per feature" });
  const row = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "All clusters" }) });
  await row.waitFor();
  assert.equal(await table.getByRole("row").count(), 2, "Smart: one row for the deployment (OV-13)");
  await row.locator('[data-feature="CUSTOMIZATION"]').getByText("Licensed").waitFor();
  await block.getByRole("link", { name: "Licenses" }).click();
  await page.getByRole("heading", { level: 1, name: "Licenses" }).waitFor();
  await shoot(t, page, "licenses-from-overview", { fullPage: true });
  assert.deepEqual(errors, []);

  const context = await h.newContext();
  try {
    const { page: op, errors: opErrors } = await openPage(context);
    await op.goto("/");
    const nav = await signIn(op, operator.username, operator.password);
    assert.equal(await nav.getByRole("link", { name: "Licenses" }).count(), 0);
    const opBlock = op.getByRole("region", { name: "License status" });
    await opBlock.getByRole("rowheader", { name: "All clusters" }).waitFor();
    assert.equal(await opBlock.getByRole("link").count(), 0, "the operator's licence status links to the Licenses view (OV-15)");
    await shoot(t, op, "overview-license-operator", { fullPage: true });
    // A direct link to the Licenses view is for administrators.
    await op.goto("/licenses");
    await op.getByText("Licenses is for administrators.").waitFor();
    assert.deepEqual(opErrors, []);
  } finally {
    await context.close();
  }
});

test("Traditional mode: the Licenses page has a cluster selector and no edit action; the Overview links each cluster to it", { timeout: 60_000 }, async (t) => {
  const { page, errors } = admin;
  // The connected bridge has a licence file: Traditional can be chosen now (LI-04).
  await page.goto("/settings/licensing");
  const form = page.getByRole("region", { name: "Licensing mode" });
  const traditional = form.getByRole("radio", { name: /Traditional licensing/ });
  await traditional.and(page.locator(":enabled")).waitFor({ state: "attached", timeout: 20_000 });
  // Leaving Smart deregisters (LI-07); with SSM down, the page says SSM was not told (LI-77).
  ssm.proc.kill("SIGTERM");
  await new Promise((ok) => (ssm.proc.exitCode !== null || ssm.proc.signalCode !== null ? ok() : ssm.proc.once("exit", ok)));
  await form.getByText("Traditional licensing", { exact: true }).click();
  await form.getByRole("button", { name: "Save mode" }).click();
  await form.getByText("The licensing mode is now Traditional licensing.").waitFor();
  await page.getByTestId("ssm-not-notified").getByText(/Smart Software Manager could not be reached and was not informed/).waitFor();
  await shoot(t, page, "settings-left-smart-ssm-down", { fullPage: true });

  const { clusters } = await rpc(page, "/switchboard.servers.v1.ServerService/ListClusters", {});
  assert.equal(clusters.length, 1);
  const cluster = clusters[0];
  const clusterName = cluster.displayName || cluster.id;

  // The Overview: one row per cluster, linking to its Licenses view (OV-14).
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
  const block = page.getByRole("region", { name: "License status" });
  const link = block.getByRole("link", { name: `Licenses of ${clusterName}` });
  await link.waitFor({ timeout: 20_000 });
  await shoot(t, page, "overview-license-traditional", { fullPage: true });
  await link.click();
  await page.getByRole("heading", { level: 1, name: "Licenses" }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get("cluster"), cluster.id);
  await page.getByRole("button", { name: new RegExp(`^${clusterName}`) }).and(page.locator(".select-button")).waitFor();
  const meetings = page.getByRole("region", { name: "Meetings", exact: true });
  await meetings.getByRole("rowheader", { name: "PMP Plus", exact: true }).waitFor();
  // Allocations come from the licence files: no edit action (LI-49).
  assert.equal(await page.getByRole("button", { name: /^Edit allocation/ }).count(), 0);
  await shoot(t, page, "licenses-traditional", { fullPage: true });

  // The licence file goes: PMP Plus is in use with none installed, so no
  // percentage, and the graph breaks its y-axis (LI-22).
  await control("POST", `/v1/bridges/${sim.info.bridges[0].name}/licensing`, { preset: "no-license-file" });
  const today = new Date();
  const request = { clusterId: cluster.id, type: "LICENSE_TYPE_PMP", startDate: utcDate(new Date(today.getTime() - 6 * 24 * 3600 * 1000)), endDate: utcDate(today) };
  const deadline = Date.now() + 30_000;
  for (;;) {
    await rpcRaw(page, "/switchboard.system.v1.SystemService/RunJob", { name: "license-status" });
    await new Promise((r) => setTimeout(r, 1000));
    const series = await rpc(page, "/switchboard.licensing.v1.LicensingService/GetUtilization", request);
    if (series.notInstalled) {
      assert.equal(series.allocated, undefined);
      break;
    }
    assert.ok(Date.now() < deadline, `PMP Plus never reported as not installed: ${JSON.stringify({ ...series, points: series.points.length })}`);
  }
  await page.reload();
  await meetings.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "PMP Plus", exact: true }) }).getByTestId("not-installed").waitFor();
  const chart = page.getByRole("region", { name: "Utilisation" }).getByTestId("utilization-chart");
  await chart.getByTestId("axis-break").waitFor();
  assert.equal(await chart.getByTestId("allocation-line").count(), 0);
  await chart.getByText(/without percentages\.$/).waitFor();
  await shoot(t, page, "licenses-not-installed", { fullPage: true });
  assert.deepEqual(errors, []);
});
