import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService, Reason, errorReason, fieldViolations, type SignInResponse } from "@switchboard/client";
import { Button, FieldError, Form, Input, Label, TextField } from "react-aria-components";
import { displayError, sentence } from "./errors";
import { Logo } from "./Logo";
import { clearSessionEnd, confirmSession, handlesUnauthenticated } from "./session";
import { t } from "./strings";

type Field = "username" | "password";
const fields: readonly string[] = ["username", "password"] satisfies Field[];

/** SignInFrame is the branded, centred frame of the pages before the console. */
export function SignInFrame({ children, wide }: { children: ReactNode; wide?: boolean }) {
  return (
    <main className="signin">
      <div className={wide ? "signin-panel signin-panel-wide" : "signin-panel"}>
        <div className="signin-brand">
          <Logo size={40} />
          <div>
            <p className="signin-product">{t.product.name}</p>
            <p className="signin-tagline">{t.product.tagline}</p>
          </div>
        </div>
        {children}
      </div>
    </main>
  );
}

interface SignInPageProps {
  /** Why the user is back at sign-in (the session ended), or null. */
  notice: string | null;
  /** Called with the server's answer as soon as the sign-in succeeds. */
  onSignedIn: (response: SignInResponse) => void;
}

/**
 * SignInPage signs in with a username and password. The server answers with
 * an HttpOnly session cookie (cookie: true), so the token never reaches
 * script. Errors are the server's: a wrong password, or the rate limit's
 * "Too many sign in attempts" (RESOURCE_EXHAUSTED, RATE_LIMITED).
 */
export function SignInPage({ notice, onSignedIn }: SignInPageProps) {
  const queryClient = useQueryClient();
  const signIn = useMutation(AuthService.method.signIn, { meta: handlesUnauthenticated });
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const inputs = { username: useRef<HTMLInputElement>(null), password: useRef<HTMLInputElement>(null) };

  useEffect(() => {
    document.title = t.product.title(t.signIn.title);
  }, []);

  const edit = (field: Field, set: (value: string) => void) => (value: string) => {
    set(value);
    // A server verdict on a field no longer applies once the field changes.
    setFieldErrors(({ [field]: _, ...rest }) => rest);
  };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setFormError(null);
    setFieldErrors({});
    let response: SignInResponse;
    try {
      response = await signIn.mutateAsync({ username, password, cookie: true });
    } catch (err) {
      setBusy(false);
      const perField: Partial<Record<Field, string>> = {};
      for (const v of fieldViolations(err)) {
        if (fields.includes(v.field)) {
          perField[v.field as Field] ??= sentence(v.message);
        }
      }
      const invalid = (Object.keys(perField) as Field[]).sort((a, b) => fields.indexOf(a) - fields.indexOf(b));
      if (invalid.length > 0) {
        setFieldErrors(perField);
        inputs[invalid[0]!].current?.focus();
        return;
      }
      setFormError(displayError(err));
      const reason = errorReason(err);
      if (reason === Reason.INVALID_CREDENTIALS || reason === Reason.RATE_LIMITED) {
        setPassword("");
        inputs.password.current?.focus();
      }
      return;
    }
    // The post-sign-in step is known before WhoAmI sees the session, so the
    // console never flashes before it.
    clearSessionEnd(queryClient);
    onSignedIn(response);
    if (!(await confirmSession(queryClient))) {
      setBusy(false);
      setFormError(t.signIn.cookieRefused);
    }
  }

  return (
    <SignInFrame>
      <div className="card signin-card">
        <h1 id="signin-heading">{t.signIn.title}</h1>
        <div className="form-status" role="alert" aria-atomic="true">
          {formError ? (
            <p className="banner banner-error" id="signin-error">
              {formError}
            </p>
          ) : (
            notice && <p className="banner banner-info">{notice}</p>
          )}
        </div>
        <Form
          className="form"
          onSubmit={submit}
          validationErrors={fieldErrors}
          aria-labelledby="signin-heading"
          aria-describedby={formError ? "signin-error" : undefined}
        >
          <TextField
            className="field"
            name="username"
            value={username}
            onChange={edit("username", setUsername)}
            isRequired
            autoFocus
            autoComplete="username"
          >
            <Label>{t.signIn.username}</Label>
            <Input ref={inputs.username} spellCheck={false} autoCapitalize="none" autoCorrect="off" />
            <FieldError className="field-error" />
          </TextField>
          <TextField
            className="field"
            name="password"
            type="password"
            value={password}
            onChange={edit("password", setPassword)}
            isRequired
            autoComplete="current-password"
          >
            <Label>{t.signIn.password}</Label>
            <Input ref={inputs.password} />
            <FieldError className="field-error" />
          </TextField>
          <Button type="submit" className="button primary wide" isPending={busy}>
            {busy ? t.signIn.submitting : t.signIn.submit}
          </Button>
        </Form>
      </div>
    </SignInFrame>
  );
}
