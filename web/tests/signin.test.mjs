// Sign-in through the real console against the real server binary, in
// Chromium. Run with `npm test` (after `npm run build` and building the
// server binary); see harness.mjs for the environment it reads.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fillSignIn, openPage, shoot, signIn, startHarness } from "./harness.mjs";

const adminItems = ["Overview", "Meetings", "Users", "Servers", "Provisioning", "Logs", "Licenses", "Settings"];

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.stop();
});

test("an administrator signs in, sees every area, and signs out", { timeout: 60_000 }, async (t) => {
  const context = await h.newContext();
  try {
    const { page, errors } = await openPage(context);
    await page.goto("/");
    const nav = await signIn(page, "admin", h.adminPassword);

    assert.deepEqual(await nav.getByRole("link").allTextContents(), adminItems);
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(await nav.getByRole("link", { name: "Overview" }).getAttribute("aria-current"), "page");

    const label = (await page.getByTestId("user-label").textContent()) ?? "";
    assert.match(label, /^LOCAL\/admin, Administrator$/, `user label: ${label}`);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "sb_session");
    assert.ok(session, `no sb_session cookie; cookies: ${cookies.map((c) => c.name).join(", ")}`);
    assert.equal(session.httpOnly, true);
    assert.equal(await page.evaluate(() => document.cookie.includes("sb_session")), false);

    // Client-side routing, and a reload of a deep link keeps the session.
    await nav.getByRole("link", { name: "Meetings" }).click();
    await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/meetings");
    await page.getByText("No meetings are active.").waitFor();
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();
    await nav.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.getByRole("heading", { level: 2, name: "This server" }).waitFor();
    await page.getByText("Database").waitFor();
    await shoot(t, page, "signed-in-overview", { fullPage: true });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    assert.equal(await page.title(), "Sign in · Switchboard");
    assert.equal(new URL(page.url()).pathname, "/");
    assert.equal(await nav.count(), 0);
    // Signing out is not a session that ended: no such notice.
    assert.equal(await page.getByText(/session has ended|session expired/).count(), 0);
    // The session is gone on the server too, not just in the page.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();

    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("a wrong password shows the server's message and stays on sign-in", { timeout: 60_000 }, async (t) => {
  const context = await h.newContext();
  try {
    const { page, errors } = await openPage(context);
    await page.goto("/");
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();

    // Empty fields are caught in the page, next to the field.
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator('input[name="username"][aria-invalid="true"]').waitFor();

    await fillSignIn(page, "admin", `${h.adminPassword}-wrong`);
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

    await shoot(t, page, "signin-wrong-password");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("a call answered Unauthenticated returns to sign-in and says the session ended", { timeout: 60_000 }, async (t) => {
  const context = await h.newContext();
  try {
    const { page, errors } = await openPage(context);
    await page.goto("/meetings");
    await signIn(page, "admin", h.adminPassword);
    await page.getByRole("heading", { level: 1, name: "Meetings" }).waitFor();

    // The session ends behind the page's back; the next call (GetVersion on
    // Overview, and the click's activity report) answers Unauthenticated.
    await context.clearCookies();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await page.getByText("Your session has ended. Sign in again to continue.").waitFor();
    assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0);
    await shoot(t, page, "signin-session-ended");

    // Signing in again clears the notice and lands in the console.
    await signIn(page, "admin", h.adminPassword);
    assert.equal(await page.getByText(/session has ended/).count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
