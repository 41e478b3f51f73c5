import { useEffect, useRef } from "react";
import type { AccountActivity } from "@switchboard/client";
import { Button } from "react-aria-components";
import { formatUtc } from "./format";
import { SignInFrame } from "./SignInPage";
import { t } from "./strings";

/** useTitleAndFocus titles the document and puts focus on the page's heading. */
function useTitleAndFocus(title: string) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = t.product.title(title);
    heading.current?.focus();
  }, [title]);
  return heading;
}

/**
 * PreSignInPage shows the administrator's pre-sign-in message (AU-54)
 * before the sign-in form. The text is plain: React renders it as text, so
 * markup in it is shown, never run (AU-58); line breaks are kept by CSS.
 */
export function PreSignInPage({ message, notice, onProceed }: { message: string; notice: string | null; onProceed: () => void }) {
  const heading = useTitleAndFocus(t.signIn.preTitle);
  return (
    <SignInFrame wide>
      <div className="card signin-card message-card">
        <h1 ref={heading} tabIndex={-1}>
          {t.signIn.preTitle}
        </h1>
        <div className="form-status" role="status">
          {notice && <p className="banner banner-info">{notice}</p>}
        </div>
        <div className="message-text" data-testid="pre-sign-in-message">
          {message}
        </div>
        <Button className="button primary" onPress={onProceed} autoFocus>
          {t.signIn.proceed}
        </Button>
      </div>
    </SignInFrame>
  );
}

/**
 * PostSignInPage shows the post-sign-in message (AU-55) and, when the
 * administrator turned it on, the account's activity (AU-56), before the
 * console. All times are UTC.
 */
export function PostSignInPage({ message, activity, onContinue }: { message: string; activity: AccountActivity | undefined; onContinue: () => void }) {
  const heading = useTitleAndFocus(t.signIn.postTitle);
  return (
    <SignInFrame wide>
      <div className="card signin-card message-card">
        <h1 ref={heading} tabIndex={-1}>
          {t.signIn.postTitle}
        </h1>
        {message && (
          <div className="message-text" data-testid="post-sign-in-message">
            {message}
          </div>
        )}
        {activity && <ActivityFacts activity={activity} />}
        <Button className="button primary" onPress={onContinue} autoFocus>
          {t.signIn.continue}
        </Button>
      </div>
    </SignInFrame>
  );
}

function ActivityFacts({ activity }: { activity: AccountActivity }) {
  const failed = activity.failedAttemptsSince;
  return (
    <section className="activity" aria-labelledby="activity-heading">
      <h2 id="activity-heading">{t.signIn.activityTitle}</h2>
      {activity.previousSignInTime ? (
        <dl className="facts">
          <dt>{t.signIn.previousSignIn}</dt>
          <dd>{formatUtc(activity.previousSignInTime)}</dd>
          <dt>{t.signIn.previousAddress}</dt>
          <dd>{activity.previousSignInAddress || t.common.unknown}</dd>
          <dt>{t.signIn.failedSince}</dt>
          <dd className={failed > 0 ? "attention" : undefined}>{failed}</dd>
          {activity.lastFailedAttemptTime && (
            <>
              <dt>{t.signIn.lastFailed}</dt>
              <dd>{formatUtc(activity.lastFailedAttemptTime)}</dd>
            </>
          )}
        </dl>
      ) : (
        <>
          <p className="muted">{t.signIn.firstSignIn}</p>
          {failed > 0 && (
            <dl className="facts">
              <dt>{t.signIn.failedSince}</dt>
              <dd className="attention">{failed}</dd>
            </dl>
          )}
        </>
      )}
      {failed > 0 && <p className="banner banner-warning">{t.signIn.failedWarning}</p>}
    </section>
  );
}
