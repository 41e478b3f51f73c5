import { lazy, Suspense, useState } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService, IdentitySource, Role, isUnauthenticated, type Identity } from "@switchboard/client";
import { Button, Menu, MenuItem, MenuTrigger, Popover } from "react-aria-components";
import { NavLink, Route, Routes, useNavigate } from "react-router";
import { identityLabel } from "./identity";
import { displayError } from "./errors";
import { Logo } from "./Logo";
import { areas, areasFor } from "./nav";
import { NotificationCounter } from "./NotificationCounter";
import { NotificationsProvider } from "./notifications";
import { NotificationsPage, OverviewPage } from "./overview";
import { NotFoundPage, PlaceholderPage, RestrictedPage } from "./pages";
import { endSession, handlesUnauthenticated } from "./session";
import { t } from "./strings";
import { StatusMessage, useFlash } from "./ui";

// Pages and dialogs that few visits need load on first use: only
// administrators open the Users area, and the account pages are occasional.
const UsersPage = lazy(() => import("./users/UsersPage"));
const ServersPage = lazy(() => import("./servers/ServersPage"));
const MeetingsArea = lazy(() => import("./meetings/MeetingsArea"));
const LicensesPage = lazy(() => import("./licensing/LicensesPage"));
const SettingsPage = lazy(() => import("./settings/SettingsPage"));
const MySessionsPage = lazy(() => import("./account/MySessionsPage"));
const ChangePasswordDialog = lazy(() => import("./account/ChangePasswordDialog"));

type MenuAction = "sessions" | "password";

const loading = <p className="muted">{t.common.loading}</p>;

/** Shell is the signed-in console: header, navigation and the current page. */
export function Shell({ identity }: { identity: Identity }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation(AuthService.method.signOut, { meta: handlesUnauthenticated });
  const [signOutError, setSignOutError] = useState<string | null>(null);
  const [changingPassword, setChangingPassword] = useState(false);
  const [flash, setFlash] = useFlash(8000);
  const visible = areasFor(identity.role);
  const isLocal = identity.source === IdentitySource.LOCAL;

  async function onSignOut() {
    setSignOutError(null);
    try {
      await signOut.mutateAsync({});
    } catch (err) {
      // Unauthenticated means the session had already ended: signed out all the same.
      if (!isUnauthenticated(err)) {
        setSignOutError(t.shell.signOutFailed(displayError(err)));
        return;
      }
    }
    navigate("/", { replace: true });
    await endSession(queryClient);
  }

  function onMenu(action: MenuAction) {
    if (action === "sessions") {
      navigate("/account/sessions");
    } else {
      setChangingPassword(true);
    }
  }

  return (
    <NotificationsProvider>
    <div className="shell">
      <a className="skip-link" href="#main">
        {t.shell.skipToMain}
      </a>
      <header className="topbar">
        <div className="topbar-brand">
          <Logo />
          <span className="product-name">{t.product.name}</span>
        </div>
        <div className="topbar-session">
          <NotificationCounter />
          <MenuTrigger>
            <Button className="button topbar-button account-button" aria-label={t.shell.accountMenu(identityLabel(identity))}>
              <span className="user-label" data-testid="user-label">
                {identityLabel(identity)}
              </span>
              <svg className="chevron" viewBox="0 0 12 12" aria-hidden="true">
                <path d="M3 4.5 6 7.5 9 4.5" />
              </svg>
            </Button>
            <Popover className="menu-popover" placement="bottom end">
              <Menu className="menu" onAction={(key) => onMenu(key as MenuAction)}>
                <MenuItem id="sessions" className="menu-item">
                  {t.shell.mySessions}
                </MenuItem>
                {isLocal && (
                  <MenuItem id="password" className="menu-item">
                    {t.shell.changePassword}
                  </MenuItem>
                )}
              </Menu>
            </Popover>
          </MenuTrigger>
          <Button className="button topbar-button" onPress={() => void onSignOut()} isPending={signOut.isPending}>
            {t.shell.signOut}
          </Button>
        </div>
      </header>
      <div className="shell-body">
        <nav className="sidenav" aria-label={t.shell.mainNav}>
          <ul>
            {visible.map((area) => (
              <li key={area.path}>
                <NavLink to={area.path} end={area.path === "/"}>
                  {area.title}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <div className="content-status" role="alert">
            {signOutError && <p className="banner banner-error">{signOutError}</p>}
          </div>
          <div className="content-flash">
            <StatusMessage message={flash} />
          </div>
          <Routes>
            {areas.map((area) => {
              const allowed = area.roles.includes(identity.role);
              const element = !allowed ? (
                <RestrictedPage area={area} />
              ) : area.path === "/" ? (
                <OverviewPage title={area.title} isAdministrator={identity.role === Role.ADMINISTRATOR} />
              ) : area.path === "/users" ? (
                <Suspense fallback={loading}>
                  <UsersPage identity={identity} />
                </Suspense>
              ) : area.path === "/meetings" ? (
                <Suspense fallback={loading}>
                  <MeetingsArea />
                </Suspense>
              ) : area.path === "/servers" ? (
                <Suspense fallback={loading}>
                  <ServersPage title={area.title} />
                </Suspense>
              ) : area.path === "/licenses" ? (
                <Suspense fallback={loading}>
                  <LicensesPage title={area.title} />
                </Suspense>
              ) : area.path === "/settings" ? (
                <Suspense fallback={loading}>
                  <SettingsPage title={area.title} />
                </Suspense>
              ) : (
                <PlaceholderPage area={area} />
              );
              // Areas with tabs keep the tab in the path (/users/api-tokens).
              return <Route key={area.path} path={area.path === "/" ? "/" : `${area.path}/*`} element={element} />;
            })}
            <Route path="/notifications" element={<NotificationsPage />} />
            <Route
              path="/account/sessions"
              element={
                <Suspense fallback={loading}>
                  <MySessionsPage />
                </Suspense>
              }
            />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        </main>
      </div>
      {changingPassword && (
        <Suspense fallback={null}>
          <ChangePasswordDialog
            isOpen={changingPassword}
            onOpenChange={setChangingPassword}
            onChanged={() => {
              setChangingPassword(false);
              setFlash(t.shell.passwordChanged);
            }}
          />
        </Suspense>
      )}
    </div>
    </NotificationsProvider>
  );
}

