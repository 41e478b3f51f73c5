import { useQuery } from "@connectrpc/connect-query";
import { AuthService, Reason, errorReason, isUnauthenticated } from "@switchboard/client";
import { Button } from "react-aria-components";
import { displayError } from "./errors";
import { Logo } from "./Logo";
import { Shell } from "./Shell";
import { SignInPage } from "./SignInPage";

/**
 * App lets AuthService.WhoAmI decide the layout: the sign-in page without a
 * session, the console with one.
 */
export function App() {
  const whoAmI = useQuery(
    AuthService.method.whoAmI,
    {},
    // Coming back to the tab re-checks the session, so an expired one
    // returns to the sign-in page without waiting for the next call.
    { retry: false, staleTime: 60_000, refetchOnWindowFocus: true },
  );

  if (isUnauthenticated(whoAmI.error)) {
    // Say why the console is back at sign-in when a session ran out.
    const expired = errorReason(whoAmI.error) === Reason.SESSION_EXPIRED;
    return <SignInPage notice={expired ? displayError(whoAmI.error) : null} />;
  }
  const identity = whoAmI.data?.identity;
  if (identity) {
    return <Shell identity={identity} />;
  }
  if (whoAmI.isPending) {
    return (
      <div className="splash" role="status">
        <Logo size={36} />
        <span>Loading Switchboard…</span>
      </div>
    );
  }
  return (
    <main className="centered">
      <div className="card problem">
        <h1>Switchboard is not answering</h1>
        <p role="alert">
          {whoAmI.error ? displayError(whoAmI.error) : "The server did not say who is signed in."}
        </p>
        <Button className="button primary" onPress={() => void whoAmI.refetch()}>
          Try again
        </Button>
      </div>
    </main>
  );
}
