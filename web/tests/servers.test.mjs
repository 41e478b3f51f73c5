// The Servers and Overview pages against the real server binary and a
// real Call Bridge simulator (cmsim, one three-bridge cluster on random
// loopback ports), in Chromium: set the CDR receiver address, add the first
// bridge through the form with its CA pasted, add the discovered peers,
// then take a bridge down and watch the notification appear and clear on
// the Overview and in the top-bar counter, for an administrator and an
// operator (who has no Servers page). The tests share one server and run
// in order.

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

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
let admin;
let sim;
const apiPassword = "sim-API-password-1";
const operator = { username: "oscar.operator", password: randomPassword() };

/** startCmsim starts one three-bridge cluster and returns its JSON description. */
async function startCmsim() {
  if (!existsSync(cmsimBin)) {
    throw new Error(`no cmsim binary at ${cmsimBin}: go build -o bin/cmsim ./cmd/cmsim`);
  }
  const caFile = join(tmpdir(), `cmsim-web-test-${process.pid}.pem`);
  const proc = spawn(
    cmsimBin,
    ["--clusters", "1", "--bridges", "3", "--scenario", "none", "--json", "--ca-file", caFile, "--username", "api", "--password", apiPassword],
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

async function control(path) {
  const res = await fetch(`${sim.info.control}${path}`, { method: "POST" });
  assert.equal(res.status, 200, `cmsim control ${path}: HTTP ${res.status}`);
}

before(async () => {
  // Started one after the other so that after() can stop whichever
  // started when the other fails.
  sim = await startCmsim();
  h = await startHarness();
  const context = await h.newContext();
  const { page, errors } = await openPage(context);
  await page.goto("/");
  await signIn(page, "admin", h.adminPassword);
  admin = { context, page, errors };
  // The operator for the last test, created over the API as the administrator.
  const res = await page.evaluate(async (u) => {
    const r = await fetch("/switchboard.users.v1.UserService/CreateLocalUser", {
      method: "POST",
      headers: { "content-type": "application/json", "connect-protocol-version": "1" },
      body: JSON.stringify({ username: u.username, firstName: "Oscar", lastName: "Operator", role: "ROLE_VIDEO_OPERATOR", password: u.password }),
    });
    return `${r.status} ${await r.text()}`;
  }, operator);
  assert.match(res, /^200 /, res);
  // A fresh install warns that no licensing mode is set (LI-01); these
  // tests watch the notifications of the bridges alone, so the instance
  // leaves licensing to another one (mode None raises nothing, LI-06).
  const mode = await page.evaluate(async () => {
    const r = await fetch("/switchboard.licensing.v1.LicensingService/SetLicensingMode", {
      method: "POST",
      headers: { "content-type": "application/json", "connect-protocol-version": "1" },
      body: JSON.stringify({ mode: "LICENSING_MODE_NONE", acknowledgeOtherInstanceLicenses: true }),
    });
    return `${r.status} ${await r.text()}`;
  });
  assert.match(mode, /^200 /, mode);
});

after(async () => {
  await admin?.context.close();
  sim?.proc.kill("SIGTERM");
  await h?.stop();
});

test("an administrator sets the CDR receiver address, adds a bridge through the form and its discovered peers", { timeout: 45_000 }, async (t) => {
  const { page, errors } = admin;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Servers" }).click();
  await page.getByRole("heading", { level: 1, name: "Servers" }).waitFor();
  await page.getByText("No Call Bridges have been added.").waitFor();

  // The CDR receiver address: an IP literal is accepted with a warning.
  const cdr = page.getByRole("region", { name: "CDR receiver address" });
  await cdr.getByText("No CDR receiver address is set").waitFor();
  const port = new URL(h.baseURL).port;
  await cdr.getByLabel("CDR receiver address").fill(`127.0.0.1:${port}`);
  // A slow re-read of the settings (as on a loaded machine) must not leave
  // "saved" and "no address is set" on the page together.
  const settingsRead = "**/switchboard.servers.v1.ServerService/GetCdrReceiverSettings";
  await page.route(settingsRead, async (route) => {
    await new Promise((r) => setTimeout(r, 1_500));
    await route.continue();
  });
  await cdr.getByRole("button", { name: "Save" }).click();
  await cdr.getByText("The CDR receiver address was saved").waitFor();
  assert.equal(await cdr.getByText("No CDR receiver address is set").count(), 0);
  await page.unroute(settingsRead);
  await shoot(t, cdr, "servers-cdr-receiver");

  const [first] = sim.info.bridges;
  const url = new URL(first.url);
  await page.getByRole("button", { name: "Add Call Bridge" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a Call Bridge" });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel("Port").inputValue(), "443");
  // CRL checking waits for verification (SV-13).
  assert.equal(await dialog.getByRole("checkbox", { name: /Check certificate revocation/ }).isDisabled(), true);
  await dialog.getByLabel("Address").fill(url.hostname);
  await dialog.getByLabel("Port").fill(url.port);
  await dialog.getByLabel("API username").fill("api");
  await dialog.getByLabel("API password").fill("wrong-password");
  await dialog.getByLabel("Display name", { exact: true }).fill("London 1");
  await dialog.getByLabel("Cluster display name").fill("London");
  await dialog.getByText("Verify the bridge's certificate with a trusted chain").click();
  assert.equal(await dialog.getByRole("checkbox", { name: /Check certificate revocation/ }).isDisabled(), false);
  await dialog.getByLabel("Trusted certificate chain (PEM)").fill(sim.ca);

  // A wrong password: the test says exactly what failed.
  await dialog.getByRole("button", { name: "Test connection" }).click();
  await dialog.getByText("Credentials rejected.").waitFor();
  await shoot(t, dialog, "servers-add-test-failed");
  await dialog.getByLabel("API password").fill(apiPassword);
  await dialog.getByRole("button", { name: "Test connection" }).click();
  await dialog.getByText(/^Connected\. Software version/).waitFor();
  await shoot(t, dialog, "servers-add-test-ok");
  await dialog.getByRole("button", { name: "Add Call Bridge" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByText("Call Bridge London 1 was added.").waitFor();

  // Its two peers are discovered, not yet added (SV-17).
  const cluster = page.getByRole("region", { name: "London" });
  const discovered = cluster.getByRole("table", { name: "Discovered peers of London" });
  await discovered.waitFor({ timeout: 15_000 });
  await discovered.getByRole("row").nth(2).waitFor();
  assert.equal(await discovered.getByRole("row").count(), 3);
  await shoot(t, page, "servers-discovered", { fullPage: true });

  await cluster.getByRole("button", { name: "Add all discovered peers of London" }).click();
  await page.getByText("2 bridges added.").waitFor({ timeout: 20_000 });
  const bridges = cluster.getByRole("table", { name: "Call Bridges of London" });
  await bridges.getByRole("row").nth(3).waitFor();
  assert.equal(await discovered.count(), 0);
  await bridges.getByText("Connected").nth(2).waitFor({ timeout: 15_000 });
  await shoot(t, page, "servers-cluster", { fullPage: true });
  assert.deepEqual(errors, []);
});

test("a bridge going down raises a notification on the Overview and the counter, live, for every role; it clears when the bridge is back", { timeout: 80_000 }, async (t) => {
  const { page, errors } = admin;
  const counter = page.getByTestId("notification-counter");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
  const current = page.getByRole("region", { name: "Current notifications" });
  await current.getByText("No current notifications.").waitFor({ timeout: 20_000 });
  assert.equal(await counter.getAttribute("data-live"), "true");

  // No polling of the lists: they reload when the stream says so.
  const listCalls = [];
  page.on("request", (req) => {
    if (/OverviewService\/(GetOverview|ListNotifications|GetNotificationSummary)$/.test(new URL(req.url()).pathname)) {
      listCalls.push(req.url());
    }
  });

  const down = sim.info.bridges[1];
  await control(`/v1/bridges/${down.name}/down`);
  const row = current.getByRole("row").filter({ hasText: "Error" });
  await row.first().waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId("count-errors").textContent(), "1");
  assert.match((await counter.getAttribute("aria-label")) ?? "", /1 errors/);
  // The time is in the viewer's zone, with UTC as its tooltip.
  assert.match((await row.first().locator("time").getAttribute("title")) ?? "", /UTC$/);
  await shoot(t, page, "overview-notification", { fullPage: true });

  // The operator sees the same notification, and no Servers page.
  // In another time zone: times show in the viewer's zone.
  const opContext = await h.newContext({ timezoneId: "Europe/Oslo" });
  try {
    const { page: op, errors: opErrors } = await openPage(opContext);
    await op.goto("/");
    const nav = await signIn(op, operator.username, operator.password);
    assert.equal(await nav.getByRole("link", { name: "Servers" }).count(), 0);
    await op.getByRole("region", { name: "Current notifications" }).getByRole("row").filter({ hasText: "Error" }).first().waitFor();
    assert.equal(await op.getByTestId("count-errors").textContent(), "1");
    await op.getByText(/Times are in your time zone \(Europe\/Oslo\)/).waitFor();
    await shoot(t, op, "overview-operator", { fullPage: true });
    await op.getByTestId("notification-counter").click();
    await op.getByRole("heading", { level: 1, name: "Notifications" }).waitFor();
    await op.getByRole("table", { name: "Notifications" }).getByText("Error").first().waitFor();
    await op.goto("/servers");
    await op.getByText("Servers is for administrators.").waitFor();
    assert.deepEqual(opErrors, []);
  } finally {
    await opContext.close();
  }

  await control(`/v1/bridges/${down.name}/up`);
  await current.getByText("No current notifications.").waitFor({ timeout: 35_000 });
  assert.equal(await page.getByTestId("count-errors").textContent(), "0");

  // History: the resolved notification, with its resolution time.
  await page.getByRole("link", { name: /Notifications: / }).click();
  await page.getByRole("heading", { level: 1, name: "Notifications" }).waitFor();
  await page.getByText("Include resolved (history)").click();
  const history = page.getByRole("table", { name: "Notifications" });
  await history.getByRole("columnheader", { name: "Resolved" }).waitFor();
  await history.getByRole("row").nth(1).locator("time").nth(1).waitFor();
  await shoot(t, page, "notifications-history", { fullPage: true });

  assert.equal(listCalls.filter((u) => u.endsWith("GetNotificationSummary")).length, 0, "the 30 s summary refresh ran while the stream was up");
  assert.deepEqual(errors, []);
});

test("an administrator edits a bridge (password write-only), edits the cluster, and removes a bridge with confirmation", { timeout: 45_000 }, async (t) => {
  const { page, errors } = admin;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Servers" }).click();
  const cluster = page.getByRole("region", { name: "London" });
  const bridges = cluster.getByRole("table", { name: "Call Bridges of London" });
  await bridges.waitFor();

  await bridges.getByRole("button", { name: "Edit London 1" }).click();
  const edit = page.getByRole("dialog", { name: "Edit London 1" });
  await edit.waitFor();
  assert.equal(await edit.getByLabel("API password").inputValue(), "");
  await edit.getByText("A password is set. Leave empty to keep it").waitFor();
  // With the password left empty, the test uses the stored one.
  await edit.getByRole("button", { name: "Test connection" }).click();
  await edit.getByText(/^Connected\. Software version/).waitFor();
  await edit.getByLabel("Display name", { exact: true }).fill("London One");
  await edit.getByRole("button", { name: "Save" }).click();
  await edit.waitFor({ state: "detached" });
  await page.getByText("Call Bridge London One was updated.").waitFor();

  // Meeting management off, then on again without a CDR receiver address:
  // the server's refusal shows in the dialog.
  const cdr = page.getByRole("region", { name: "CDR receiver address" });
  await cdr.getByLabel("CDR receiver address").fill("");
  await cdr.getByRole("button", { name: "Save" }).click();
  await cdr.getByText("No CDR receiver address is set").waitFor();
  await cluster.getByRole("button", { name: "Edit cluster London" }).click();
  let dialog = page.getByRole("dialog", { name: "Edit cluster London" });
  await dialog.getByText("Use Switchboard to manage meetings on this cluster").click();
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  await cluster.getByText("Meeting management: Off").waitFor();
  await cluster.getByRole("button", { name: "Edit cluster London" }).click();
  dialog = page.getByRole("dialog", { name: "Edit cluster London" });
  await dialog.getByText("Use Switchboard to manage meetings on this cluster").click();
  await dialog.getByRole("button", { name: "Save" }).click();
  const refusal = dialog.getByRole("alert");
  await refusal.getByText(/.+/).first().waitFor();
  t.diagnostic(`refusal: ${await refusal.textContent()}`);
  await shoot(t, dialog, "servers-cluster-refused");
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await bridges.getByRole("button", { name: "Remove london-cb3" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Remove this Call Bridge?" });
  await confirm.getByRole("button", { name: "Remove" }).click();
  await page.getByText("Call Bridge london-cb3 was removed.").waitFor();
  // The list refreshes after the confirmation: a header and two bridges.
  await bridges.getByRole("row").nth(3).waitFor({ state: "detached" });
  assert.equal(await bridges.getByRole("row").count(), 3);
  // It is a discovered peer again.
  await cluster.getByRole("table", { name: "Discovered peers of London" }).getByText("london-cb3").waitFor({ timeout: 15_000 });
  // Background jobs: run one now.
  const jobs = page.getByRole("region", { name: "Background jobs" });
  await jobs.getByRole("button", { name: /^Run .+ now$/ }).first().click();
  await jobs.getByText(/^Job .+ was started\.$/).waitFor();
  await shoot(t, page, "servers-after-remove", { fullPage: true });
  assert.deepEqual(errors, []);
});
