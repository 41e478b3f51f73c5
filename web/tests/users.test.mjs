// The Users area, the sign-in steps and the account pages through the real
// console against the real server binary, in Chromium. The tests share one
// server and run in order: the operator created in the second test signs in
// again in the later ones.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fillSignIn, openPage, randomPassword, shoot, signIn, startHarness } from "./harness.mjs";

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
/** The administrator's browser, signed in once for every test. */
let admin;

const operator = { username: "olive.operator", first: "Olive", last: "Operator", password: randomPassword() };

before(async () => {
  h = await startHarness();
  const context = await h.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const { page, errors } = await openPage(context);
  await page.goto("/");
  await signIn(page, "admin", h.adminPassword);
  admin = { context, page, errors };
});

after(async () => {
  await admin?.context.close();
  await h?.stop();
});

/** rpcCounter counts the calls a page makes to one RPC, by its Connect path. */
function rpcCounter(page, service, method) {
  const path = `/switchboard.${service}/${method}`;
  const calls = [];
  page.on("request", (req) => {
    if (new URL(req.url()).pathname === path) {
      calls.push(req);
    }
  });
  return calls;
}

/**
 * tick selects a react-aria checkbox or radio the way a user does, by
 * clicking its label (the input itself is visually hidden), and checks
 * that it took.
 */
async function tick(control) {
  if (!(await control.isChecked())) {
    await control.locator("xpath=ancestor::label[1]").click();
  }
  assert.equal(await control.isChecked(), true);
}

async function openUsersTab(page, tab) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
  await page.getByRole("tab", { name: tab }).click();
  await page.getByRole("tabpanel", { name: tab }).waitFor();
  return page.getByRole("tabpanel", { name: tab });
}

async function fillCreateUser(dialog, { username, first, last, role, password, confirm }) {
  await dialog.getByLabel("Username").fill(username);
  await dialog.getByLabel("First name").fill(first);
  await dialog.getByLabel("Last name").fill(last);
  await tick(dialog.getByRole("radio", { name: new RegExp(`^${role}`) }));
  await dialog.getByLabel("Password", { exact: true }).fill(password);
  await dialog.getByLabel("Confirm password").fill(confirm);
}

test("(c) a password mismatch in the create form is refused without calling the API", { timeout: 30_000 }, async (t) => {
  const { page } = admin;
  const creates = rpcCounter(page, "users.v1.UserService", "CreateLocalUser");
  await openUsersTab(page, "Local users");
  await page.getByRole("button", { name: "Create user" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a local user" });
  await dialog.waitFor();
  await fillCreateUser(dialog, { ...operator, role: "Video operator", confirm: `${operator.password}x` });
  await dialog.getByRole("button", { name: "Create user" }).click();

  const confirm = dialog.getByLabel("Confirm password");
  await dialog.getByText("The two passwords do not match.").waitFor();
  assert.equal(await confirm.getAttribute("aria-invalid"), "true");
  // The message is the field's description, so a screen reader reads it with the field.
  const describedBy = (await confirm.getAttribute("aria-describedby")) ?? "";
  const descriptions = await Promise.all(describedBy.split(" ").map((id) => page.locator(`[id="${id}"]`).textContent()));
  assert.ok(descriptions.some((d) => d?.includes("do not match")), `descriptions: ${descriptions}`);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "confirm");
  await shoot(t, page, "users-create-mismatch");
  assert.equal(creates.length, 0, "CreateLocalUser was called");

  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "detached" });

  // The server refuses deleting one's own account; the dialog says so and stays open.
  await page.getByRole("button", { name: "Delete admin" }).click();
  const deleteSelf = page.getByRole("alertdialog", { name: "Delete admin?" });
  await deleteSelf.getByRole("button", { name: "Delete" }).click();
  await deleteSelf.getByRole("alert").getByText("You cannot delete your own account").waitFor();
  await shoot(t, page, "users-delete-self-refused");
  await deleteSelf.getByRole("button", { name: "Cancel" }).click();
  await deleteSelf.waitFor({ state: "detached" });
});

test("(a) an administrator creates an operator, who sees only Overview and Meetings and cannot open Users", { timeout: 45_000 }, async (t) => {
  const { page } = admin;
  await openUsersTab(page, "Local users");
  await page.getByRole("button", { name: "Create user" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a local user" });
  await fillCreateUser(dialog, { ...operator, role: "Video operator", confirm: operator.password });
  await shoot(t, page, "users-create-dialog");
  await dialog.getByRole("button", { name: "Create user" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByText(`User ${operator.username} was created.`).waitFor();
  const row = page.getByRole("row", { name: new RegExp(operator.username) });
  await row.waitFor();
  assert.match((await row.textContent()) ?? "", /Olive Operator.*Video operator.*Never/);

  // Search narrows the list; the server filters.
  await page.getByRole("searchbox", { name: "Search local users" }).fill("olive");
  await page.getByRole("row", { name: /admin/ }).waitFor({ state: "detached" });
  assert.equal(await page.getByRole("row", { name: new RegExp(operator.username) }).count(), 1);
  await page.getByRole("searchbox", { name: "Search local users" }).fill("");
  await page.getByRole("row", { name: /^admin/ }).waitFor();
  await shoot(t, page, "users-local-list");

  // The operator, in a browser of their own.
  const context = await h.newContext();
  try {
    const { page: op, errors } = await openPage(context);
    const adminCalls = rpcCounter(op, "users.v1.UserService", "ListLocalUsers");
    await op.goto("/");
    const nav = await signIn(op, operator.username, operator.password);
    assert.deepEqual(await nav.getByRole("link").allTextContents(), ["Overview", "Meetings"]);
    assert.equal(await op.getByTestId("user-label").textContent(), "LOCAL/Olive Operator, Video operator");
    await shoot(t, op, "operator-overview");

    await op.goto("/users");
    await op.getByRole("heading", { level: 1, name: "Users" }).waitFor();
    await op.getByText("Users is for administrators.").waitFor();
    assert.equal(await op.getByRole("tab").count(), 0);
    await op.goto("/users/api-tokens");
    await op.getByText("Users is for administrators.").waitFor();
    assert.equal(adminCalls.length, 0, "the operator's console called an administrator RPC");
    await shoot(t, op, "operator-users-refused");

    // Every user reaches their own sessions from the account menu.
    await op.getByRole("button", { name: /^Account:/ }).click();
    await op.getByRole("menuitem", { name: "My sessions" }).click();
    await op.getByRole("heading", { level: 1, name: "My sessions" }).waitFor();
    await op.getByText("This session").waitFor();
    await shoot(t, op, "operator-my-sessions");

    // The administrator revokes the operator's session from the Sessions tab.
    const sessions = await openUsersTab(page, "Sessions");
    await sessions.getByRole("searchbox").fill(operator.username);
    const opRow = sessions.getByRole("row", { name: /Olive Operator/ });
    await opRow.waitFor();
    await page.getByRole("row", { name: /LOCAL\/admin/ }).waitFor({ state: "detached" });
    await shoot(t, page, "users-sessions");
    await opRow.getByRole("button", { name: /^Revoke the session of olive\.operator/ }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke this session?" });
    await confirm.getByRole("button", { name: "Revoke" }).click();
    await confirm.waitFor({ state: "detached" });
    await page.getByText("The session was revoked.").waitFor();

    // The operator's next call answers Unauthenticated: back to sign-in, saying why.
    await op.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    await op.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await op.getByText("Your session has ended. Sign in again to continue.").waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("(d) an API token is created and its secret is shown once", { timeout: 30_000 }, async (t) => {
  const { page } = admin;
  const panel = await openUsersTab(page, "API tokens");
  await panel.getByRole("button", { name: "Create API token" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API token" });
  await dialog.getByLabel("Name", { exact: true }).fill("Reporting dashboard");
  await tick(dialog.getByRole("radio", { name: /^In 1 year/ }));
  await dialog.getByRole("button", { name: "Create API token" }).click();

  const secretDialog = page.getByRole("dialog", { name: "Copy the token's secret" });
  await secretDialog.waitFor();
  await secretDialog.getByText("You will not see it again").waitFor();
  const secret = await secretDialog.getByTestId("api-token-secret").inputValue();
  assert.ok(secret.length >= 20, `secret: ${secret}`);
  await secretDialog.getByRole("button", { name: "Copy" }).click();
  await secretDialog.getByText("Copied to the clipboard.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await shoot(t, page, "tokens-secret-once");

  // The secret works as a bearer token, with the token's role.
  const whoAmI = (token) =>
    fetch(`${h.baseURL}/switchboard.auth.v1.AuthService/WhoAmI`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
  const res = await whoAmI(secret);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.identity.role, "ROLE_VIDEO_OPERATOR");

  await secretDialog.getByRole("button", { name: "Done" }).click();
  await secretDialog.waitFor({ state: "detached" });
  // Once closed, the secret is nowhere in the page.
  assert.equal((await page.content()).includes(secret), false);
  const row = panel.getByRole("row", { name: /Reporting dashboard/ });
  await row.waitFor();
  const prefix = (await row.locator(".mono").textContent())?.replace("…", "") ?? "";
  assert.ok(prefix.length > 0 && secret.startsWith(prefix), `prefix ${prefix} of ${secret}`);
  await shoot(t, page, "tokens-list");

  await row.getByRole("button", { name: "Revoke Reporting dashboard" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Revoke this API token?" });
  await confirm.getByRole("button", { name: "Revoke" }).click();
  await page.getByText("API token Reporting dashboard was revoked.").waitFor();
  await row.waitFor({ state: "detached" });
  assert.equal((await whoAmI(secret)).status, 401);
});

test("(b) the fourth wrong password for a username shows the rate-limit message", { timeout: 30_000 }, async (t) => {
  const context = await h.newContext();
  try {
    const { page, errors } = await openPage(context);
    await page.goto("/");
    const alert = page.getByRole("alert").filter({ hasText: /\S/ });
    // The page empties the password field when the server has answered.
    const answered = () => page.waitForFunction(() => document.querySelector('input[name="password"]')?.value === "");
    for (let attempt = 1; attempt <= 3; attempt++) {
      await fillSignIn(page, "mallory", `wrong-${attempt}`);
      await answered();
      assert.doesNotMatch((await alert.textContent()) ?? "", /Too many/, `attempt ${attempt}`);
    }
    await fillSignIn(page, "mallory", "wrong-4");
    await page.getByText("Too many sign in attempts. Please try again later").waitFor();
    assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0);
    await shoot(t, page, "signin-rate-limited");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("password policies and the passphrase generator apply when a user changes their own password", { timeout: 45_000 }, async (t) => {
  const { page } = admin;
  const panel = await openUsersTab(page, "Local configuration");
  const policy = panel.getByRole("region", { name: "Password policy" });
  await tick(policy.getByRole("checkbox", { name: "Require a minimum password length" }));
  await policy.getByLabel("Minimum length (characters)").fill("20");
  await tick(policy.getByRole("checkbox", { name: "Prevent reusing recent passwords" }));
  await policy.getByLabel("Remembered passwords").fill("3");
  await policy.getByRole("button", { name: "Save" }).click();
  await policy.getByText("Saved.").waitFor();

  const generator = panel.getByRole("region", { name: "Passphrase generator" });
  await tick(generator.getByRole("checkbox", { name: "Suggest passphrases when a password is chosen" }));
  await generator.getByLabel("Words per passphrase").fill("4");
  await generator.getByRole("button", { name: "Save" }).click();
  await generator.getByText("Saved.").waitFor();

  // A dictionary upload reports its progress, then the new word count. The
  // upload is throttled (Chromium's network emulation) so the bar is seen
  // between 0 and 100 %.
  const words = Array.from({ length: 100_000 }, (_, i) => `word${i.toString(36)}`);
  await generator.locator('input[type="file"]').setInputFiles({ name: "words.txt", mimeType: "text/plain", buffer: Buffer.from(words.join("\n")) });
  await generator.getByText(/words\.txt \(/).waitFor();
  const cdp = await admin.context.newCDPSession(page);
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 500 * 1024 });
  try {
    await generator.getByRole("button", { name: "Upload" }).click();
    await page.waitForFunction(
      () => {
        const v = Number(document.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow"));
        return v > 5 && v < 95;
      },
      null,
      { polling: "raf", timeout: 10_000 },
    );
    await shoot(t, generator, "config-dictionary-progress");
    await generator.getByText("The dictionary was uploaded: 100000 words.").waitFor();
  } finally {
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  }
  assert.equal(await generator.getByRole("progressbar").getAttribute("aria-valuenow"), "100");
  await generator.getByTestId("dictionary-state").filter({ hasText: "An uploaded list of 100000 words" }).waitFor();
  await shoot(t, page, "config-policies", { fullPage: true });

  // A file the server refuses: its reason is shown next to the file field.
  await generator.locator('input[type="file"]').setInputFiles({ name: "bad.txt", mimeType: "text/plain", buffer: Buffer.from("alpha\n\u0000beta\n") });
  await generator.getByRole("button", { name: "Upload" }).click();
  await generator.getByText("The dictionary contains a NUL character.").waitFor();
  await shoot(t, generator, "config-dictionary-refused");

  // The operator changes their own password.
  const context = await h.newContext();
  try {
    const { page: op, errors } = await openPage(context);
    await op.goto("/");
    await signIn(op, operator.username, operator.password);
    await op.getByRole("button", { name: /^Account:/ }).click();
    await op.getByRole("menuitem", { name: "Change password" }).click();
    const dialog = op.getByRole("dialog", { name: "Change password" });
    await dialog.getByText("At least 20 characters.").waitFor();
    await dialog.getByText("Not one of your last 3 passwords.").waitFor();

    // Too short, and the current one again: both rules, next to the field.
    await dialog.getByLabel("Current password").fill(operator.password);
    await dialog.getByLabel("New password", { exact: true }).fill(operator.password);
    await dialog.getByLabel("Confirm new password").fill(operator.password);
    await dialog.getByRole("button", { name: "Change password" }).click();
    await dialog.getByText("New password must be at least 20 characters long.").waitFor();
    await dialog.getByText(/New password was used recently/).waitFor();
    assert.equal(await dialog.getByLabel("New password", { exact: true }).getAttribute("aria-invalid"), "true");
    await shoot(t, op, "change-password-violations");

    // The suggested passphrase: four words from the uploaded dictionary.
    const suggestion = (await dialog.getByTestId("passphrase-suggestion").textContent()) ?? "";
    const parts = suggestion.split(" ");
    assert.equal(parts.length, 4, `suggestion: ${suggestion}`);
    assert.ok(parts.every((w) => /^word[0-9a-z]+$/.test(w)), `suggestion: ${suggestion}`);
    await dialog.getByRole("button", { name: "Use this passphrase" }).click();
    assert.equal(await dialog.getByLabel("Confirm new password").inputValue(), suggestion);
    await dialog.getByRole("button", { name: "Change password" }).click();
    await dialog.waitFor({ state: "detached" });
    await op.getByText("Your password was changed. Your other sessions were signed out.").waitFor();
    operator.password = suggestion;
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("(e) the pre-sign-in message comes before the form, and the post-sign-in step shows account activity", { timeout: 45_000 }, async (t) => {
  const { page } = admin;
  const panel = await openUsersTab(page, "Local configuration");
  const messages = panel.getByRole("region", { name: "Sign-in messages" });
  const pre = "Authorised use only.\nActivity is logged. <script>alert(1)</script>";
  await messages.getByLabel("Pre-sign-in message").fill(pre);
  await messages.getByText(`${[...pre].length} / 4096 characters`).waitFor();
  await messages.getByLabel("Post-sign-in message").fill("Change windows are on Sundays, 02:00–04:00 UTC.");
  await tick(messages.getByRole("checkbox", { name: "Show account activity after sign-in" }));
  await messages.getByRole("button", { name: "Save" }).click();
  await messages.getByText("Saved.").waitFor();
  await shoot(t, messages, "config-messages");

  const context = await h.newContext();
  try {
    const { page: visitor, errors } = await openPage(context);
    await visitor.goto("/");
    await visitor.getByRole("heading", { level: 1, name: "Before you sign in" }).waitFor();
    // Shown as plain text: the markup is visible, not run.
    assert.equal(await visitor.getByTestId("pre-sign-in-message").textContent(), pre);
    assert.equal(await visitor.getByLabel("Username").count(), 0);
    await shoot(t, visitor, "signin-pre-message");
    await visitor.getByRole("button", { name: "Proceed" }).click();
    await visitor.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();

    // One failed attempt, then the right password.
    await visitor.getByLabel("Username").fill(operator.username);
    await visitor.getByLabel("Password").fill("not-the-password");
    await visitor.getByRole("button", { name: "Sign in" }).click();
    await visitor.getByRole("alert").filter({ hasText: /\S/ }).waitFor();
    await visitor.getByLabel("Password").fill(operator.password);
    await visitor.getByRole("button", { name: "Sign in" }).click();

    await visitor.getByRole("heading", { level: 1, name: "Welcome" }).waitFor();
    await visitor.getByText("Change windows are on Sundays").waitFor();
    const activity = visitor.getByRole("region", { name: "Account activity" });
    await activity.getByText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/).first().waitFor();
    assert.match((await activity.textContent()) ?? "", /Failed sign-in attempts since then\s*1/);
    assert.equal(await visitor.getByRole("navigation", { name: "Main" }).count(), 0);
    await shoot(t, visitor, "signin-post-message");
    await visitor.getByRole("button", { name: "Continue" }).click();
    await visitor.getByRole("navigation", { name: "Main" }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("the console reports interaction, at most once per 30 seconds, and nothing else", { timeout: 30_000 }, async () => {
  const context = await h.newContext();
  try {
    const { page } = await openPage(context);
    const reports = rpcCounter(page, "auth.v1.AuthService", "ReportActivity");
    await page.goto("/");
    await fillSignIn(page, "admin", h.adminPassword);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await page.waitForTimeout(300);
    // Continue was the first interaction the signed-in console saw.
    assert.equal(reports.length, 1);

    // Loading pages in the background does not count.
    await page.getByRole("heading", { level: 2, name: "This server" }).waitFor();
    await page.waitForTimeout(500);
    assert.equal(reports.length, 1);

    // More clicks and keys within 30 s are folded into one later report.
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Meetings" }).click();
    await page.keyboard.press("Tab");
    await nav.getByRole("link", { name: "Overview" }).click();
    await page.waitForTimeout(300);
    assert.equal(reports.length, 1);
  } finally {
    await context.close();
  }
});

test("the administrator's console made no browser errors", () => {
  assert.deepEqual(admin.errors, []);
});
