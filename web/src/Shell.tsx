import { useState } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService, isUnauthenticated, type Identity } from "@switchboard/client";
import { Button } from "react-aria-components";
import { NavLink, Route, Routes, useNavigate } from "react-router";
import { identityLabel } from "./identity";
import { displayError } from "./errors";
import { Logo } from "./Logo";
import { areas, areasFor } from "./nav";
import { NotFoundPage, OverviewPage, PlaceholderPage, RestrictedPage } from "./pages";
import { endSession, handlesUnauthenticated } from "./session";

/** Shell is the signed-in console: header, navigation and the current page. */
export function Shell({ identity }: { identity: Identity }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation(AuthService.method.signOut, { meta: handlesUnauthenticated });
  const [signOutError, setSignOutError] = useState<string | null>(null);
  const visible = areasFor(identity.role);

  async function onSignOut() {
    setSignOutError(null);
    try {
      await signOut.mutateAsync({});
    } catch (err) {
      // Unauthenticated means the session had already ended: signed out all the same.
      if (!isUnauthenticated(err)) {
        setSignOutError(`Sign-out failed. ${displayError(err)}`);
        return;
      }
    }
    navigate("/", { replace: true });
    await endSession(queryClient);
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="topbar">
        <div className="topbar-brand">
          <Logo />
          <span className="product-name">Switchboard</span>
        </div>
        <div className="topbar-session">
          <span className="user-label" data-testid="user-label">
            {identityLabel(identity)}
          </span>
          <Button className="button topbar-button" onPress={() => void onSignOut()} isPending={signOut.isPending}>
            Sign out
          </Button>
        </div>
      </header>
      <div className="shell-body">
        <nav className="sidenav" aria-label="Main">
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
          <Routes>
            {areas.map((area) => {
              const element = !area.roles.includes(identity.role) ? (
                <RestrictedPage area={area} />
              ) : area.path === "/" ? (
                <OverviewPage area={area} />
              ) : (
                <PlaceholderPage area={area} />
              );
              return <Route key={area.path} path={area.path} element={element} />;
            })}
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        </main>
      </div>
    </div>
  );
}
