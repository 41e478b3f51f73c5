import { useEffect, useRef, useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService, Reason, errorReason, fieldViolations } from "@switchboard/client";
import { Button, FieldError, Form, Input, Label, TextField } from "react-aria-components";
import { displayError, sentence } from "./errors";
import { Logo } from "./Logo";
import { confirmSession, handlesUnauthenticated } from "./session";

type Field = "username" | "password";
const fields: readonly string[] = ["username", "password"] satisfies Field[];

/**
 * SignInPage signs in with a username and password. The server answers with
 * an HttpOnly session cookie (cookie: true), so the token never reaches
 * script.
 */
export function SignInPage({ notice }: { notice: string | null }) {
  const queryClient = useQueryClient();
  const signIn = useMutation(AuthService.method.signIn, { meta: handlesUnauthenticated });
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const inputs = { username: useRef<HTMLInputElement>(null), password: useRef<HTMLInputElement>(null) };

  useEffect(() => {
    document.title = "Sign in · Switchboard";
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
    try {
      await signIn.mutateAsync({ username, password, cookie: true });
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
      if (errorReason(err) === Reason.INVALID_CREDENTIALS) {
        setPassword("");
        inputs.password.current?.focus();
      }
      return;
    }
    // On success this page is replaced by the console as soon as WhoAmI
    // sees the session.
    if (!(await confirmSession(queryClient))) {
      setBusy(false);
      setFormError(
        "You signed in, but this browser did not keep the session cookie. Allow cookies for this site and try again.",
      );
    }
  }

  return (
    <main className="signin">
      <div className="signin-panel">
        <div className="signin-brand">
          <Logo size={40} />
          <div>
            <p className="signin-product">Switchboard</p>
            <p className="signin-tagline">Meeting management for Cisco Meeting Server</p>
          </div>
        </div>
        <div className="card signin-card">
          <h1 id="signin-heading">Sign in</h1>
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
              <Label>Username</Label>
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
              <Label>Password</Label>
              <Input ref={inputs.password} />
              <FieldError className="field-error" />
            </TextField>
            <Button type="submit" className="button primary wide" isPending={busy}>
              {busy ? "Signing in…" : "Sign in"}
            </Button>
          </Form>
        </div>
      </div>
    </main>
  );
}
