// The sign-in directory and LDAP user groups through the real console,
// against the real server binary and a real OpenLDAP slapd.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openPage, shoot, signIn, startHarness } from "./harness.mjs";
import { adminDN, adminPassword, alice, bob, groupsDN, operatorsGroup, peopleDN, startSlapd } from "./slapd.mjs";

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
/** @type {Awaited<ReturnType<typeof startSlapd>>} */
let ldap;

before(async () => {
  [h, ldap] = await Promise.all([startHarness(), startSlapd()]);
});

after(async () => {
  await Promise.all([h?.stop(), ldap?.stop()]);
});

async function tick(control) {
  if (!(await control.isChecked())) {
    await control.locator("xpath=ancestor::label[1]").click();
  }
  assert.equal(await control.isChecked(), true);
}

test("an administrator configures the sign-in directory, maps a group, and its member signs in", { timeout: 60_000 }, async (t) => {
  const context = await h.newContext();
  try {
    const { page, errors } = await openPage(context);
    await page.goto("/users/directory");
    await signIn(page, "admin", h.adminPassword);
    const tab = page.getByRole("tabpanel", { name: "Sign-in directory" });
    await tab.getByText("No sign-in directory is configured.").waitFor();
    assert.equal(await tab.getByTestId("bind-password-state").textContent(), "not set");

    await tick(tab.getByRole("radio", { name: /^LDAP Unencrypted/ }));
    assert.equal(await tab.getByLabel("Port", { exact: true }).getAttribute("placeholder"), "389");
    await tab.getByLabel("Server address").fill(ldap.host);
    await tab.getByLabel("Port", { exact: true }).fill(String(ldap.port));
    await tab.getByLabel("Bind DN").fill(adminDN);
    await tab.getByLabel("Base DN", { exact: true }).fill(peopleDN);
    await tab.getByLabel("Username attribute").fill("uid");
    await tab.getByLabel("Group base DN").fill(groupsDN);

    // A test of the form's settings needs the bind password typed.
    await tab.getByRole("button", { name: "Test connection" }).click();
    await tab.getByText("Enter the bind password to test these settings.").waitFor();
    await tab.getByLabel("Bind password").fill("not-the-password");
    await tab.getByRole("button", { name: "Test connection" }).click();
    await tab.getByTestId("directory-test-result").filter({ hasText: "Bind refused" }).waitFor();
    await shoot(t, page, "directory-test-bind-refused", { fullPage: true });

    await tab.getByLabel("Bind password").fill(adminPassword);
    await tab.getByRole("button", { name: "Test connection" }).click();
    await tab.getByTestId("directory-test-result").filter({ hasText: "Connected" }).waitFor();

    await tab.getByRole("button", { name: "Save directory" }).click();
    await tab.getByText("The sign-in directory was saved.").waitFor();
    // Write-only: the password is gone from the form, and shown as set.
    assert.equal(await tab.getByLabel("Bind password").inputValue(), "");
    await tab.getByTestId("bind-password-state").filter({ hasText: /^set$/ }).waitFor();
    // With the form unchanged, the test uses the saved settings and password.
    await tab.getByRole("button", { name: "Test connection" }).click();
    await tab.getByTestId("directory-test-result").filter({ hasText: "Tested the saved settings." }).waitFor();
    assert.match((await tab.getByTestId("directory-test-result").textContent()) ?? "", /^Connected/);
    await shoot(t, page, "directory-saved", { fullPage: true });

    // Map the operators group, checking it and its members first.
    await page.getByRole("tab", { name: "LDAP user groups" }).click();
    const groups = page.getByRole("tabpanel", { name: "LDAP user groups" });
    await groups.getByRole("button", { name: "Add group" }).click();
    const dialog = page.getByRole("dialog", { name: "Add an LDAP user group" });
    await dialog.getByLabel("Group DN").fill(`cn=nobody,${groupsDN}`);
    await dialog.getByRole("button", { name: "Check" }).click();
    await dialog.getByText("No group with this DN was found in the directory.").waitFor();
    await dialog.getByLabel("Group DN").fill(operatorsGroup);
    await dialog.getByRole("button", { name: "Check" }).click();
    await dialog.getByText("Found in the directory: 2 direct members.").waitFor();
    await dialog.getByRole("button", { name: "View users" }).click();
    const members = dialog.getByRole("table", { name: "Members" });
    await members.getByRole("row", { name: /alice/ }).waitFor();
    assert.deepEqual(await members.locator("tbody tr td:first-child").allTextContents(), [alice.uid, bob.uid]);
    await shoot(t, page, "ldap-group-add");
    await dialog.getByRole("button", { name: "Add group" }).click();
    await dialog.waitFor({ state: "detached" });
    await groups.getByText(/^Group cn=operators,ou=groups,dc=example,dc=org was added; its members can sign in now at http:\/\/localhost:\d+\./).waitFor();
    const row = groups.getByRole("row", { name: /cn=operators/ });
    assert.match((await row.textContent()) ?? "", /Video operator/);
    await shoot(t, page, "ldap-groups");

    // A member signs in through the directory.
    const other = await h.newContext();
    try {
      const { page: member, errors: memberErrors } = await openPage(other);
      await member.goto("/");
      const nav = await signIn(member, alice.uid, alice.password);
      assert.deepEqual(await nav.getByRole("link").allTextContents(), ["Overview", "Meetings"]);
      assert.equal(await member.getByTestId("user-label").textContent(), "LDAP/Alice Adams, Video operator");
      // Directory users change their password in the directory, not here.
      await member.getByRole("button", { name: /^Account:/ }).click();
      assert.deepEqual(await member.getByRole("menuitem").allTextContents(), ["My sessions"]);
      await member.keyboard.press("Escape");
      assert.deepEqual(memberErrors, []);
    } finally {
      await other.close();
    }

    // Change the group's role, then delete the mapping.
    await row.getByRole("button", { name: `Edit ${operatorsGroup}` }).click();
    const edit = page.getByRole("dialog", { name: "Edit LDAP user group" });
    await tick(edit.getByRole("radio", { name: /^Administrator/ }));
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await groups.getByRole("row", { name: /cn=operators.*Administrator/ }).waitFor();
    await row.getByRole("button", { name: `Delete ${operatorsGroup}` }).click();
    await page.getByRole("alertdialog", { name: "Delete this group mapping?" }).getByRole("button", { name: "Delete" }).click();
    await groups.getByText("The group mapping was deleted.").waitFor();
    await groups.getByText("No LDAP user groups are mapped.").waitFor();

    // AU-37: with a CDR receiver address, the new group's sign-in link is
    // the console at that address, shown with a copy button.
    const res = await page.evaluate(async () => {
      const r = await fetch("/switchboard.servers.v1.ServerService/UpdateCdrReceiverSettings", {
        method: "POST",
        headers: { "content-type": "application/json", "connect-protocol-version": "1" },
        body: JSON.stringify({ address: "switchboard.example.org" }),
      });
      return `${r.status} ${await r.text()}`;
    });
    assert.match(res, /^200 /, res);
    await groups.getByRole("button", { name: "Add group" }).click();
    const again = page.getByRole("dialog", { name: "Add an LDAP user group" });
    await again.getByLabel("Group DN").fill(operatorsGroup);
    await again.getByRole("button", { name: "Add group" }).click();
    const added = page.getByRole("dialog", { name: "Group added" });
    await added.waitFor();
    assert.equal(await added.getByLabel("Sign-in link").inputValue(), "https://switchboard.example.org/");
    await added.getByText("give them that one instead").waitFor();
    await shoot(t, added, "ldap-group-sign-in-link");
    await added.getByRole("button", { name: "Done" }).click();
    await added.waitFor({ state: "detached" });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
