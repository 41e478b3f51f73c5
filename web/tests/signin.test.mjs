// Sign-in through the real console against the real server binary, in
// Chromium. Run with `SWITCHBOARD_BIN=../bin/switchboard npm test`.
//
// Environment:
//   SWITCHBOARD_BIN           the server binary (default ../bin/switchboard)
//   CHROMIUM_PATH             the browser (default /usr/bin/chromium)
//   SWITCHBOARD_ARTIFACT_DIR  where screenshots go (default $TMPDIR/switchboard-web-artifacts)

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
const serverBin = process.env.SWITCHBOARD_BIN || resolve(here, "../../bin/switchboard");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const artifactDir = process.env.SWITCHBOARD_ARTIFACT_DIR || join(tmpdir(), "switchboard-web-artifacts");

const adminItems = ["Overview", "Meetings", "Users", "Servers", "Provisioning", "Logs", "Licenses", "Settings"];
const password = `Sb-${randomBytes(18).toString("base64url")}`;

/** @type {{ proc: import("node:child_process").ChildProcess, output: () => string, exited: Promise<unknown> }} */
let server;
/** @type {import("playwright-core").Browser} */
let browser;
let baseURL = "";
let dataDir = "";

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

function startServer(port) {
  let output = "";
  const proc = spawn(serverBin, ["serve", "--plaintext", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir], {
    env: { ...process.env, SWITCHBOARD_ADMIN_PASSWORD: password },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  const exited = new Promise((ok) => proc.once("exit", (code, signal) => ok({ code, signal })));
  return { proc, output: () => output, exited };
}

async function waitReady(origin, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (server.proc.exitCode !== null || server.proc.signalCode !== null) {
      throw new Error(`the server exited (${server.proc.exitCode ?? server.proc.signalCode}) before it was ready:\n${server.output()}`);
    }
    try {
      const res = await fetch(`${origin}/readyz`);
      if (res.status === 200) {
        return;
      }
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`GET /readyz did not answer 200 within ${timeoutMs} ms (last: ${last}):\n${server.output()}`);
}

/**
 * openPage opens a page that records browser errors other than the failed
 * loads the API's own 401 answers cause (a CSP violation would show here).
 */
async function openPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      errors.push(`console: ${msg.text()}`);
    }
  });
  return { page, errors };
}

async function signIn(page, username, secret) {
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}

before(async () => {
  if (!existsSync(serverBin)) {
    throw new Error(`no server binary at ${serverBin}: build it (make build) or set SWITCHBOARD_BIN`);
  }
  dataDir = await mkdtemp(join(tmpdir(), "switchboard-web-test-"));
  await mkdir(artifactDir, { recursive: true });
  const port = await freePort();
  server = startServer(port);
  await waitReady(`http://127.0.0.1:${port}`, 30_000);
  baseURL = `http://localhost:${port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-dev-shm-usage",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) {
    server.proc.kill("SIGTERM");
    const stopped = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r(null), 10_000))]);
    if (stopped === null) {
      server.proc.kill("SIGKILL");
      await server.exited;
    }
  }
  if (dataDir) {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("an administrator signs in, sees every area, and signs out", { timeout: 60_000 }, async (t) => {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  try {
    const { page, errors } = await openPage(context);
    await page.goto("/");
    await signIn(page, "admin", password);

    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.waitFor();
    assert.deepEqual(await nav.getByRole("link").allTextContents(), adminItems);
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(await nav.getByRole("link", { name: "Overview" }).getAttribute("aria-current"), "page");

    const label = (await page.getByTestId("user-label").textContent()) ?? "";
    assert.match(label, /admin/, `user label: ${label}`);
    assert.match(label, /Administrator/, `user label: ${label}`);
    assert.match(label, /^LOCAL\/.+, Administrator$/, `user label: ${label}`);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "sb_session");
    assert.ok(session, `no sb_session cookie; cookies: ${cookies.map((c) => c.name).join(", ")}`);
    assert.equal(session.httpOnly, true);
    assert.equal(await page.evaluate(() => document.cookie.includes("sb_session")), false);

    // Client-side routing, and a reload of a deep link keeps the session.
    await nav.getByRole("link", { name: "Meetings" }).click();
    await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/meetings");
    await page.getByText(/not available yet in this build/).waitFor();
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();
    await nav.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.getByRole("heading", { level: 2, name: "This server" }).waitFor();
    await page.getByText("Database").waitFor();

    const shot = join(artifactDir, "signed-in-overview.png");
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    assert.equal(await page.title(), "Sign in · Switchboard");
    assert.equal(new URL(page.url()).pathname, "/");
    assert.equal(await nav.count(), 0);
    // The session is gone on the server too, not just in the page.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();

    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("a wrong password shows the server's message and stays on sign-in", { timeout: 60_000 }, async (t) => {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  try {
    const { page, errors } = await openPage(context);
    await page.goto("/");
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();

    // Empty fields are caught in the page, next to the field.
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator('input[name="username"][aria-invalid="true"]').waitFor();

    await signIn(page, "admin", `${password}-wrong`);
    const alert = page.getByRole("alert").filter({ hasText: /\S/ });
    await alert.waitFor();
    const message = ((await alert.textContent()) ?? "").trim();
    t.diagnostic(`error shown: ${message}`);
    assert.ok(message.length > 0);
    assert.doesNotMatch(message, /^\[/, "the message should not carry the Connect code prefix");

    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0);
    assert.equal(await page.getByLabel("Password").inputValue(), "");
    assert.equal(await page.getByLabel("Username").inputValue(), "admin");
    assert.equal((await context.cookies()).some((c) => c.name === "sb_session"), false);

    const shot = join(artifactDir, "signin-wrong-password.png");
    await page.screenshot({ path: shot });
    t.diagnostic(`screenshot: ${shot}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("a call answered Unauthenticated returns to sign-in", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  try {
    const { page, errors } = await openPage(context);
    await page.goto("/meetings");
    await signIn(page, "admin", password);
    await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();

    // The session ends behind the page's back; the next call (GetVersion on
    // Overview) answers Unauthenticated.
    await context.clearCookies();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
