import type { Identity } from "@switchboard/client";
import { Tab, TabList, TabPanel, Tabs, type Key } from "react-aria-components";
import { useNavigate, useParams } from "react-router";
import { Page } from "../pages";
import { t } from "../strings";
import { ApiTokensTab } from "./ApiTokensTab";
import { DirectoryTab } from "./DirectoryTab";
import { LdapGroupsTab } from "./LdapGroupsTab";
import { LocalConfigTab } from "./LocalConfigTab";
import { LocalUsersTab } from "./LocalUsersTab";
import { SessionsTab } from "./SessionsTab";

// Each tab has its own path, so a tab can be linked to and survives a reload.
const tabs = [
  { id: "", title: t.users.tabLocal },
  { id: "ldap-groups", title: t.users.tabLdap },
  { id: "configuration", title: t.users.tabConfig },
  { id: "directory", title: t.users.tabDirectory },
  { id: "api-tokens", title: t.users.tabTokens },
  { id: "sessions", title: t.users.tabSessions },
] as const;

type TabId = (typeof tabs)[number]["id"];

/**
 * UsersPage is the administrators' Users area (AU-11…AU-60): local users,
 * LDAP user groups, local configuration, the sign-in directory, API tokens
 * and everyone's sessions, as keyboard-usable tabs (arrow keys move between
 * them). Only the selected tab is rendered, so only its data loads.
 */
export default function UsersPage({ identity }: { identity: Identity }) {
  const navigate = useNavigate();
  const rest = useParams()["*"] ?? "";
  const selected: TabId = tabs.find((tab) => tab.id === rest)?.id ?? "";
  const onSelect = (key: Key) => navigate(key === "" ? "/users" : `/users/${String(key)}`);
  // The empty string is the default tab's id in the path but react-aria
  // needs a non-empty key.
  const keyOf = (id: TabId) => id || "local";
  const idOf = (key: Key): TabId => (key === "local" ? "" : (key as TabId));

  return (
    <Page title={t.users.title}>
      <Tabs className="tabs" selectedKey={keyOf(selected)} onSelectionChange={(key) => onSelect(idOf(key))}>
        <TabList className="tab-list" aria-label={t.users.tabs}>
          {tabs.map((tab) => (
            <Tab key={tab.id} id={keyOf(tab.id)} className="tab">
              {tab.title}
            </Tab>
          ))}
        </TabList>
        <TabPanel id="local" className="tab-panel">
          <LocalUsersTab identity={identity} />
        </TabPanel>
        <TabPanel id="ldap-groups" className="tab-panel">
          <LdapGroupsTab />
        </TabPanel>
        <TabPanel id="configuration" className="tab-panel">
          <LocalConfigTab />
        </TabPanel>
        <TabPanel id="directory" className="tab-panel">
          <DirectoryTab />
        </TabPanel>
        <TabPanel id="api-tokens" className="tab-panel">
          <ApiTokensTab />
        </TabPanel>
        <TabPanel id="sessions" className="tab-panel">
          <SessionsTab />
        </TabPanel>
      </Tabs>
    </Page>
  );
}
