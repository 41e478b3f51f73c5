import { useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { AuthService, Reason, isUnauthenticated, type SignInResponse } from "@switchboard/client";
import { Button } from "react-aria-components";
import { displayError } from "./errors";
import { Logo } from "./Logo";
import { SessionKeeper } from "./SessionKeeper";
import { Shell } from "./Shell";
import { PostSignInPage, PreSignInPage } from "./SignInMessages";
import { SignInPage } from "./SignInPage";
import { useSessionEnd } from "./session";
import { t } from "./strings";

/**
 * App lets AuthService.WhoAmI decide the layout: the sign-in steps without a
 * session, the console with one. After a sign-in, the post-sign-in step
 * (message, account activity) comes before the console when there is one.
 */
export function App() {
  const whoAmI = useQuery(
    AuthService.method.whoAmI,
    {},
    // Coming back to the tab re-checks the session, so an expired one
    // returns to the sign-in page without waiting for the next call.
    { retry: false, staleTime: 60_000, refetchOnWindowFocus: true },
  );
  const ended = useSessionEnd();
  const [postSignIn, setPostSignIn] = useState<SignInResponse | null>(null);

  if (isUnauthenticated(whoAmI.error)) {
    const notice =
      ended === Reason.SESSION_EXPIRED ? t.signIn.sessionExpired : ended === null ? null : t.signIn.sessionEnded;
    return <SignInFlow notice={notice} onSignedIn={(res) => setPostSignIn(hasPostStep(res) ? res : null)} />;
  }
  const identity = whoAmI.data?.identity;
  if (identity && whoAmI.data) {
    return (
      <>
        <SessionKeeper whoAmI={whoAmI.data} />
        {postSignIn ? (
          <PostSignInPage
            message={postSignIn.postSignInMessage}
            activity={postSignIn.accountActivity}
            onContinue={() => setPostSignIn(null)}
          />
        ) : (
          <Shell identity={identity} />
        )}
      </>
    );
  }
  if (whoAmI.isPending) {
    return <Splash />;
  }
  return (
    <main className="centered">
      <div className="card problem">
        <h1>{t.product.notAnswering}</h1>
        <p role="alert">{whoAmI.error ? displayError(whoAmI.error) : t.product.noIdentity}</p>
        <Button className="button primary" onPress={() => void whoAmI.refetch()}>
          {t.product.tryAgain}
        </Button>
      </div>
    </main>
  );
}

function hasPostStep(res: SignInResponse): boolean {
  return res.postSignInMessage.trim() !== "" || res.accountActivity !== undefined;
}

function Splash() {
  return (
    <div className="splash" role="status">
      <Logo size={36} />
      <span>{t.product.loading}</span>
    </div>
  );
}

/**
 * SignInFlow shows the pre-sign-in message first when the administrator set
 * one (AU-54; again after a session ends, AU-51), then the form.
 */
function SignInFlow({ notice, onSignedIn }: { notice: string | null; onSignedIn: (res: SignInResponse) => void }) {
  const pre = useQuery(AuthService.method.getPreSignInMessage, {}, { retry: 1, staleTime: 0 });
  const [proceeded, setProceeded] = useState(false);
  if (pre.isPending) {
    return <Splash />;
  }
  // A message that cannot be read does not keep anyone from signing in.
  const message = pre.data?.message ?? "";
  if (!proceeded && message.trim() !== "") {
    return <PreSignInPage message={message} notice={notice} onProceed={() => setProceeded(true)} />;
  }
  return <SignInPage notice={notice} onSignedIn={onSignedIn} />;
}
