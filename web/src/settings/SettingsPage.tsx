import { Tab, TabList, TabPanel, Tabs, type Key } from "react-aria-components";
import { Navigate, useNavigate, useParams } from "react-router";
import { LicensingSettingsTab } from "../licensing/LicensingSettingsTab";
import { tl } from "../licensing/strings";
import { Page } from "../pages";

// Each tab has its own path (/settings/licensing), so a tab can be linked
// to and survives a reload. The other sections of §8 join as tabs here.
const tabs = [{ id: "licensing", title: tl.tabLicensing }] as const;

type TabId = (typeof tabs)[number]["id"];

/**
 * SettingsPage is the administrators' Settings area (§8) as keyboard-usable
 * tabs; today it holds Licensing (ST-45). Only the selected tab is
 * rendered, so only its data loads. It loads on first use.
 */
export default function SettingsPage({ title }: { title: string }) {
  const navigate = useNavigate();
  const rest = useParams()["*"] ?? "";
  const selected: TabId | undefined = tabs.find((tab) => tab.id === rest)?.id;
  if (!selected) {
    return <Navigate to={`/settings/${tabs[0].id}`} replace />;
  }
  return (
    <Page title={title}>
      <Tabs className="tabs" selectedKey={selected} onSelectionChange={(key: Key) => navigate(`/settings/${String(key)}`)}>
        <TabList className="tab-list" aria-label={tl.settingsTabs}>
          {tabs.map((tab) => (
            <Tab key={tab.id} id={tab.id} className="tab">
              {tab.title}
            </Tab>
          ))}
        </TabList>
        <TabPanel id="licensing" className="tab-panel">
          <LicensingSettingsTab />
        </TabPanel>
      </Tabs>
    </Page>
  );
}
