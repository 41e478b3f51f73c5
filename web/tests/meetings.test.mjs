// The Meetings page against the real server binary and a real Call Bridge
// simulator (cmsim, one standalone bridge on a random loopback port), in
// Chromium. The server runs with TLS (its self-signed certificate), as the
// bridge posts its CDRs to the CDR receiver over HTTPS only. A video
// operator, in another time zone than UTC, watches the list while a call
// starts on the bridge: the meeting appears live, without a reload or any
// polling; the operator pins it, opens it, mutes a participant and sees
// the mute come back from the bridge, and finds the action with their name
// in the event log. When the call ends on the bridge it leaves the active
// list and shows among the ended meetings. The tests share one server and
// run in order.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { artifactDir, openPage, randomPassword, shoot, signIn } from "./harness.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const serverBin = process.env.SWITCHBOARD_BIN || resolve(here, "../../bin/switchboard");
const cmsimBin = process.env.CMSIM_BIN || resolve(here, "../../bin/cmsim");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const apiPassword = "sim-API-password-2";
const operator = { username: "vera.operator", password: randomPassword() };
const meetingName = "Weekly sync";

let server;
let sim;
let browser;
let op;

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (srv.address());
      srv.close(() => ok(port));
    });
  });
}

/** readyz answers the status of GET /readyz over TLS, trusting the server's self-signed certificate. */
function readyz(origin) {
  return new Promise((ok) => {
    const req = httpsGet(`${origin}/readyz`, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on("error", () => ok(0));
    req.on("timeout", () => req.destroy());
  });
}

/**
 * startServer starts the server with TLS (not --plaintext, unlike
 * harness.mjs): the simulator posts CDRs to https://{address}/... only.
 */
async function startServer() {
  if (!existsSync(serverBin)) {
    throw new Error(`no server binary at ${serverBin}: build it (make build) or set SWITCHBOARD_BIN`);
  }
  const adminPassword = `Sb-${randomBytes(18).toString("base64url")}`;
  const dataDir = await mkdtemp(join(tmpdir(), "switchboard-web-test-"));
  await mkdir(artifactDir, { recursive: true });
  const port = await freePort();
  let log = "";
  const proc = spawn(serverBin, ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir], {
    env: { ...process.env, SWITCHBOARD_ADMIN_PASSWORD: adminPassword },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk) => {
    log = (log + chunk.toString()).slice(-40_000);
  };
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  const exited = new Promise((ok) => proc.once("exit", (code, signal) => ok({ code, signal })));
  const origin = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`the server exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${log}`);
    }
    if ((await readyz(origin)) === 200) {
      break;
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`GET /readyz did not answer 200 within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  async function stop() {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      let timer;
      const timeout = new Promise((r) => {
        timer = setTimeout(() => r(null), 10_000);
      });
      const stopped = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
      if (stopped === null) {
        proc.kill("SIGKILL");
        await exited;
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  }
  // localhost, not 127.0.0.1: a secure context.
  return { baseURL: `https://localhost:${port}`, address: `127.0.0.1:${port}`, adminPassword, stop, output: () => log };
}

/** startCmsim starts one standalone bridge, no scenario traffic. */
async function startCmsim() {
  if (!existsSync(cmsimBin)) {
    throw new Error(`no cmsim binary at ${cmsimBin}: go build -o bin/cmsim ./cmd/cmsim`);
  }
  const caFile = join(tmpdir(), `cmsim-meetings-test-${process.pid}.pem`);
  const proc = spawn(
    cmsimBin,
    ["--clusters", "1", "--bridges", "1", "--scenario", "none", "--json", "--ca-file", caFile, "--username", "api", "--password", apiPassword],
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

/** control calls cmsim's control API and returns its JSON answer. */
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

/** rpc calls a Connect method as the signed-in user of page. */
async function rpc(page, path, body) {
  const res = await page.evaluate(
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
  assert.equal(res.status, 200, `${path}: ${res.status} ${res.text}`);
  return JSON.parse(res.text);
}

let call;
let bridgeName;

before(async () => {
  sim = await startCmsim();
  server = await startServer();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });

  // The administrator sets up the estate over the API: the CDR receiver
  // address (this server's listener), the bridge, and the operator.
  const adminContext = await browser.newContext({ baseURL: server.baseURL, ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  try {
    const { page } = await openPage(adminContext);
    await page.goto("/");
    await signIn(page, "admin", server.adminPassword);
    await rpc(page, "/switchboard.servers.v1.ServerService/UpdateCdrReceiverSettings", { address: server.address });
    const [bridge] = sim.info.bridges;
    bridgeName = bridge.name;
    const url = new URL(bridge.url);
    await rpc(page, "/switchboard.servers.v1.ServerService/AddCallBridge", {
      displayName: "Bergen 1",
      connection: { address: url.hostname, port: Number(url.port), username: "api", password: apiPassword, verifyCertificate: true, trustedChainPem: sim.ca },
    });
    await rpc(page, "/switchboard.users.v1.UserService/CreateLocalUser", {
      username: operator.username,
      firstName: "Vera",
      lastName: "Operator",
      role: "ROLE_VIDEO_OPERATOR",
      password: operator.password,
    });
  } finally {
    await adminContext.close();
  }

  // The operator's browser is in another time zone than the server's UTC.
  const context = await browser.newContext({ baseURL: server.baseURL, ignoreHTTPSErrors: true, viewport: { width: 1360, height: 900 }, timezoneId: "Europe/Oslo" });
  const { page, errors } = await openPage(context);
  await page.goto("/");
  await signIn(page, operator.username, operator.password);
  op = { context, page, errors };
});

after(async () => {
  await op?.context.close();
  await browser?.close();
  sim?.proc.kill("SIGTERM");
  await server?.stop();
});

test("a simulated meeting appears live in the list, without polling, and the operator pins it", { timeout: 60_000 }, async (t) => {
  const { page, errors } = op;
  const listCalls = [];
  page.on("request", (req) => {
    if (new URL(req.url()).pathname.endsWith("MeetingService/ListMeetings")) {
      listCalls.push(req.url());
    }
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Meetings" }).click();
  await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();
  await page.getByText("No meetings are active.").waitFor({ timeout: 20_000 });
  await page.getByTestId("live-indicator").and(page.locator('[data-live="true"]')).waitFor();
  const callsBefore = listCalls.length;

  // A call starts on the bridge, two participants join.
  call = await control("POST", `/v1/bridges/${bridgeName}/calls`, { name: meetingName });
  await control("POST", `/v1/bridges/${bridgeName}/calls/${call.ID}/legs`, { name: "Ada Lovelace", remote: "ada@example.com" });
  await control("POST", `/v1/bridges/${bridgeName}/calls/${call.ID}/legs`, { name: "Grace Hopper", remote: "grace@example.com" });

  const table = page.getByRole("table", { name: "Meetings" });
  const row = table.getByRole("row").filter({ hasText: meetingName });
  await row.waitFor({ timeout: 30_000 });
  await row.getByTestId("participant-count").filter({ hasText: /^2$/ }).waitFor({ timeout: 30_000 });
  await row.getByRole("cell", { name: "Bergen 1", exact: true }).waitFor();
  // The start time is in the viewer's zone, with UTC as its tooltip.
  assert.match((await row.locator("time").first().getAttribute("title")) ?? "", /UTC$/);
  assert.equal(listCalls.length, callsBefore, "the list called ListMeetings to show a new meeting: it should come from the stream");

  // Pin it: the list says so, for everyone.
  const pin = row.getByRole("button", { name: `Pin ${meetingName}` });
  assert.equal(await pin.getAttribute("aria-pressed"), "false");
  await pin.click();
  await page.getByText(`${meetingName} is pinned to the top of the list`).waitFor();
  await row.getByText("Pinned", { exact: true }).waitFor();
  assert.equal(await pin.getAttribute("aria-pressed"), "true");
  // The server has it: ListMeetings returns it pinned.
  const listed = await rpc(page, "/switchboard.meetings.v1.MeetingService/ListMeetings", { query: "weekly" });
  assert.equal(listed.meetings?.[0]?.name, meetingName);
  assert.equal(listed.meetings?.[0]?.pinned, true);
  await shoot(t, page, "meetings-list", { fullPage: true });
  assert.deepEqual(errors, []);
});

test("the operator opens the meeting, mutes a participant, sees the mute come back from the bridge, and finds it in the event log", { timeout: 60_000 }, async (t) => {
  const { page, errors } = op;
  await page.getByRole("table", { name: "Meetings" }).getByRole("link", { name: meetingName }).click();
  await page.getByRole("heading", { level: 1, name: meetingName }).waitFor();
  const facts = page.getByRole("region", { name: "Meeting", exact: true });
  await facts.getByText("Bergen 1").first().waitFor();
  await facts.getByRole("button", { name: `Pin ${meetingName}` }).and(page.locator('[aria-pressed="true"]')).waitFor();

  const participants = page.getByRole("table", { name: "Participants" });
  const ada = participants.getByRole("row").filter({ hasText: "Ada Lovelace" });
  await ada.waitFor({ timeout: 20_000 });
  await participants.getByRole("row").filter({ hasText: "Grace Hopper" }).waitFor();
  await ada.getByTestId("participant-state").filter({ hasText: "Connected" }).waitFor({ timeout: 20_000 });
  assert.equal((await ada.getByTestId("audio").textContent())?.trim(), "On");
  await shoot(t, page, "meeting-details", { fullPage: true });

  // Mute Ada from her Actions menu.
  await ada.getByRole("button", { name: "Actions for Ada Lovelace" }).click();
  await page.getByRole("menuitem", { name: "Mute audio" }).click();
  await page.getByText(/^Mute audio \(Ada Lovelace\): the bridge accepted the request/).waitFor();
  await ada.getByTestId("audio").getByText("Muted").waitFor({ timeout: 20_000 });
  // The bridge has it.
  const calls = await control("GET", `/v1/bridges/${bridgeName}/calls`);
  const leg = calls.find((c) => c.ID === call.ID)?.legs.find((l) => l.Name === "Ada Lovelace");
  assert.equal(leg?.AudioMuted, true);
  // Grace is not muted.
  assert.equal((await participants.getByRole("row").filter({ hasText: "Grace Hopper" }).getByTestId("audio").textContent())?.trim(), "On");
  await shoot(t, page, "meeting-muted", { fullPage: true });

  // The call statistics of Ada's call leg, read from the bridge.
  await ada.getByRole("button", { name: "Actions for Ada Lovelace" }).click();
  await page.getByRole("menuitem", { name: "Call statistics…" }).click();
  const stats = page.getByRole("dialog", { name: "Call statistics: Ada Lovelace" });
  await stats.getByText(/Read from the bridge|could not be loaded/).first().waitFor({ timeout: 15_000 });
  await shoot(t, stats, "meeting-statistics");
  await stats.getByRole("button", { name: "Close" }).click();
  await stats.waitFor({ state: "detached" });

  // A meeting-wide action: lock, reflected back from the bridge as a badge.
  const actions = page.getByRole("toolbar", { name: "Meeting actions" });
  await actions.getByRole("button", { name: "Lock", exact: true }).click();
  await facts.locator('[data-flag="locked"]').waitFor({ timeout: 20_000 });
  await actions.getByRole("button", { name: "Unlock", exact: true }).click();
  await facts.locator('[data-flag="locked"]').waitFor({ state: "detached", timeout: 20_000 });

  // A bulk action on the selected rows: unmute Ada again.
  // (react-aria's checkbox input is visually hidden: its box is what is clicked.)
  await ada.locator(".checkbox-box").click();
  assert.equal(await ada.getByRole("checkbox", { name: "Select Ada Lovelace" }).isChecked(), true);
  const bulk = page.getByRole("toolbar", { name: "Actions on the selected participants" });
  await bulk.getByText("1 participant selected").waitFor();
  await shoot(t, page, "meeting-bulk", { fullPage: true });
  await bulk.getByRole("button", { name: "Unmute audio" }).click();
  await ada.getByTestId("audio").getByText("On", { exact: true }).waitFor({ timeout: 20_000 });
  await bulk.getByRole("button", { name: "Clear selection" }).click();

  // A dial-out the server refuses shows its reason next to the field.
  await actions.getByRole("button", { name: "Add participant…" }).click();
  const add = page.getByRole("dialog", { name: "Add a participant" });
  await add.getByLabel("Address").fill(`${"x".repeat(300)}@example.com`);
  await add.getByRole("button", { name: "Call" }).click();
  await add.getByText(/^Address .+/).and(add.locator(".field-error")).waitFor();
  t.diagnostic(`refusal: ${await add.locator(".field-error").textContent()}`);
  await shoot(t, add, "meeting-add-refused");
  await add.getByRole("button", { name: "Cancel" }).click();
  await add.waitFor({ state: "detached" });

  // The event log: the operator's action, with who did it, in the viewer's zone.
  await page.getByRole("tab", { name: "Event log" }).click();
  const log = page.getByRole("table", { name: "Event log" });
  const action = log.getByRole("row").filter({ hasText: "Operator action" }).filter({ hasText: operator.username });
  await action.first().waitFor({ timeout: 20_000 });
  assert.match((await action.first().locator("time").getAttribute("title")) ?? "", /UTC$/);
  await page.getByText(/Times are in your time zone \(Europe\/Oslo\)/).first().waitFor();
  await shoot(t, page, "meeting-event-log", { fullPage: true });
  assert.deepEqual(errors, []);
});

test("back on the list the meeting is pinned on top; when the call ends it moves to the ended meetings", { timeout: 60_000 }, async (t) => {
  const { page, errors } = op;
  await page.getByRole("link", { name: "All meetings" }).click();
  await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();
  const table = page.getByRole("table", { name: "Meetings" });
  const first = table.getByRole("row").nth(1);
  await first.getByText(meetingName).waitFor({ timeout: 20_000 });
  await first.getByText("Pinned", { exact: true }).waitFor();

  await control("DELETE", `/v1/bridges/${bridgeName}/calls/${call.ID}`);
  await page.getByText("No meetings are active.").waitFor({ timeout: 30_000 });
  await page.getByText("Ended (last 7 days)").click();
  const ended = page.getByRole("table", { name: "Meetings ended in the last 7 days" });
  await ended.getByRole("row").filter({ hasText: meetingName }).waitFor({ timeout: 20_000 });
  await shoot(t, page, "meetings-ended", { fullPage: true });
  assert.deepEqual(errors, []);
});

test("with meeting management off for the cluster, the list names it as not monitored", { timeout: 45_000 }, async (t) => {
  const adminContext = await browser.newContext({ baseURL: server.baseURL, ignoreHTTPSErrors: true });
  try {
    const { page: admin } = await openPage(adminContext);
    await admin.goto("/");
    await signIn(admin, "admin", server.adminPassword);
    const { clusters } = await rpc(admin, "/switchboard.servers.v1.ServerService/ListClusters", {});
    assert.equal(clusters.length, 1);
    await rpc(admin, "/switchboard.servers.v1.ServerService/UpdateCluster", { id: clusters[0].id, meetingManagement: false });
  } finally {
    await adminContext.close();
  }
  const { page, errors } = op;
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();
  await page.getByTestId("unmonitored-notice").getByText(/meeting management is off for them: Bergen 1\.$/).waitFor({ timeout: 15_000 });
  await shoot(t, page, "meetings-unmonitored", { fullPage: true });
  assert.deepEqual(errors, []);
});
