// What the browser tests share: the real server binary on a free loopback
// port with a throwaway data directory, headless Chromium, pages that record
// browser errors, and helpers for signing in and taking screenshots.
//
// Environment:
//   SWITCHBOARD_BIN           the server binary (default ../bin/switchboard)
//   CHROMIUM_PATH             the browser (default /usr/bin/chromium)
//   SWITCHBOARD_ARTIFACT_DIR  where screenshots go (default $TMPDIR/switchboard-web-artifacts)

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
const serverBin = process.env.SWITCHBOARD_BIN || resolve(here, "../../bin/switchboard");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const artifactDir = process.env.SWITCHBOARD_ARTIFACT_DIR || join(tmpdir(), "switchboard-web-artifacts");

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

async function waitReady(proc, output, origin, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`the server exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${output()}`);
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
  throw new Error(`GET /readyz did not answer 200 within ${timeoutMs} ms (last: ${last}):\n${output()}`);
}

/**
 * startHarness starts the server (with a random bootstrap administrator
 * password) and Chromium. Call stop() in after().
 */
export async function startHarness() {
  if (!existsSync(serverBin)) {
    throw new Error(`no server binary at ${serverBin}: build it (make build) or set SWITCHBOARD_BIN`);
  }
  const adminPassword = `Sb-${randomBytes(18).toString("base64url")}`;
  const dataDir = await mkdtemp(join(tmpdir(), "switchboard-web-test-"));
  await mkdir(artifactDir, { recursive: true });
  const port = await freePort();
  let log = "";
  const proc = spawn(serverBin, ["serve", "--plaintext", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir], {
    env: { ...process.env, SWITCHBOARD_ADMIN_PASSWORD: adminPassword },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  const exited = new Promise((ok) => proc.once("exit", (code, signal) => ok({ code, signal })));
  const output = () => log;

  let browser;
  try {
    await waitReady(proc, output, `http://127.0.0.1:${port}`, 30_000);
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
  } catch (err) {
    proc.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  // localhost, not 127.0.0.1: a secure context, so the clipboard API works.
  const baseURL = `http://localhost:${port}`;

  async function stop() {
    await browser?.close();
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      let timer;
      const timeout = new Promise((r) => {
        timer = setTimeout(() => r(null), 10_000);
      });
      // The timer is cleared, or it would keep the test process alive for
      // its full 10 s after a prompt exit.
      const stopped = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
      if (stopped === null) {
        proc.kill("SIGKILL");
        await exited;
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  }

  /** newContext opens a fresh browser profile: no cookies, no storage. */
  function newContext(options = {}) {
    return browser.newContext({ baseURL, viewport: { width: 1280, height: 800 }, ...options });
  }

  return { baseURL, adminPassword, browser, newContext, stop, output };
}

/**
 * openPage opens a page that records browser errors other than the failed
 * loads the API's own error answers cause (a CSP violation would show here).
 */
export async function openPage(context) {
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

/** fillSignIn fills and submits the sign-in form (after the pre-sign-in message, if any). */
export async function fillSignIn(page, username, secret) {
  const form = page.getByRole("heading", { level: 1, name: "Sign in" });
  const proceed = page.getByRole("button", { name: "Proceed" });
  await form.or(proceed).first().waitFor();
  if (await proceed.isVisible()) {
    await proceed.click();
  }
  await form.waitFor();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** signIn signs in and waits for the console (continuing past a post-sign-in page). */
export async function signIn(page, username, secret) {
  await fillSignIn(page, username, secret);
  const nav = page.getByRole("navigation", { name: "Main" });
  const cont = page.getByRole("button", { name: "Continue" });
  await nav.or(cont).first().waitFor();
  if (await cont.isVisible()) {
    await cont.click();
  }
  await nav.waitFor();
  return nav;
}

/** shoot saves a screenshot under the artifact directory and reports its path. */
export async function shoot(t, target, name, options = {}) {
  const path = join(artifactDir, `${name}.png`);
  await target.screenshot({ path, ...options });
  t.diagnostic(`screenshot: ${path}`);
  return path;
}

/** randomPassword returns a password no policy in these tests refuses. */
export function randomPassword() {
  return `Pw-${randomBytes(12).toString("base64url")}`;
}
