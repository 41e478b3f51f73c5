import { useId, useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuthService, Role, type ApiToken } from "@switchboard/client";
import { Button, Form, Input, Label, TextField } from "react-aria-components";
import { displayError, formErrors, type FieldErrors } from "../errors";
import { formatUtc, formatUtcDate, formatUtcMinute, toDate } from "../format";
import { roleName } from "../identity";
import { invalidate } from "../session";
import { t } from "../strings";
import { ConfirmDialog, ModalDialog } from "../dialogs";
import { Choices, RoleChoices, TextInput, type Choice } from "../fields";
import { FormAlert, LoadError, PagerControls, StatusMessage, useFlash, usePager } from "../ui";

const pageSize = 25;
const day = 24 * 60 * 60 * 1000;

type Expiry = "30" | "90" | "365" | "730" | "custom";

const expiryChoices: readonly Choice<Expiry>[] = [
  { value: "30", label: t.tokens.expiry30 },
  { value: "90", label: t.tokens.expiry90 },
  { value: "365", label: t.tokens.expiry365 },
  { value: "730", label: t.tokens.expiry730 },
  { value: "custom", label: t.tokens.expiryCustom },
];

/**
 * ApiTokensTab creates API tokens (name, role, expiry) and shows the secret
 * exactly once, lists tokens with their last use, and revokes them.
 */
export function ApiTokensTab() {
  const queryClient = useQueryClient();
  const pager = usePager();
  const list = useQuery(AuthService.method.listApiTokens, { pageSize, pageToken: pager.token });
  const remove = useMutation(AuthService.method.deleteApiToken);
  const [creating, setCreating] = useState(false);
  // The one copy of a new secret lives in this state only while its
  // dialog is open; closing the dialog drops it.
  const [secret, setSecret] = useState<{ token: ApiToken; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [flash, setFlash] = useFlash();

  async function confirmRevoke() {
    if (!revoking) {
      return;
    }
    await remove.mutateAsync({ id: revoking.id });
    setFlash(t.tokens.revoked(revoking.name));
    await invalidate(queryClient, AuthService.method.listApiTokens);
  }

  const tokens = list.data?.apiTokens ?? [];
  const now = Date.now();
  return (
    <div className="tab-content">
      <p className="tab-intro">{t.tokens.intro}</p>
      <StatusMessage message={flash} />
      <div className="toolbar toolbar-end">
        <Button className="button primary" onPress={() => setCreating(true)}>
          {t.tokens.create}
        </Button>
      </div>
      <section className="panel flush" aria-label={t.tokens.caption}>
        {list.error && <LoadError what={t.tokens.caption} reason={displayError(list.error)} />}
        {list.isPending && <p className="empty">{t.common.loading}</p>}
        {list.data && tokens.length === 0 && <p className="empty">{t.tokens.empty}</p>}
        {tokens.length > 0 && (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">{t.tokens.caption}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.tokens.name}</th>
                  <th scope="col">{t.roles.label}</th>
                  <th scope="col">{t.tokens.createdBy}</th>
                  <th scope="col">{t.tokens.expires}</th>
                  <th scope="col">{t.tokens.lastUsed}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t.common.actions}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((tok) => {
                  const expired = (toDate(tok.expireTime)?.getTime() ?? Infinity) <= now;
                  return (
                    <tr key={String(tok.id)}>
                      <td>
                        <span className="strong">{tok.name}</span>
                        <span className="sub">
                          {t.tokens.prefix} <span className="mono">{tok.prefix}…</span>
                        </span>
                      </td>
                      <td>{roleName(tok.role)}</td>
                      <td className="nowrap">
                        {formatUtcMinute(tok.createTime)}
                        <span className="sub">{t.tokens.by(tok.createdBy || t.common.unknown)}</span>
                      </td>
                      <td className="nowrap">
                        {formatUtcMinute(tok.expireTime)}
                        {expired && <span className="badge badge-muted">{t.tokens.expired}</span>}
                      </td>
                      <td className="nowrap">{formatUtcMinute(tok.lastUseTime, t.common.never)}</td>
                      <td className="actions">
                        <Button className="button small danger-outline" onPress={() => setRevoking(tok)} aria-label={t.tokens.revokeToken(tok.name)}>
                          {t.common.revoke}
                        </Button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {list.data && <PagerControls pager={pager} nextToken={list.data.nextPageToken} shown={tokens.length} pageSize={pageSize} label={t.tokens.caption} />}
      </section>

      <ModalDialog title={t.tokens.createTitle} isOpen={creating} onOpenChange={setCreating}>
        {creating && (
          <CreateTokenForm
            onCancel={() => setCreating(false)}
            onCreated={(token, value) => {
              setCreating(false);
              setSecret({ token, secret: value });
              void invalidate(queryClient, AuthService.method.listApiTokens);
            }}
          />
        )}
      </ModalDialog>

      <ModalDialog title={t.tokens.secretTitle} isOpen={secret !== null} onOpenChange={(o) => !o && setSecret(null)}>
        {secret && <SecretOnce token={secret.token} secret={secret.secret} onDone={() => setSecret(null)} />}
      </ModalDialog>

      <ConfirmDialog
        isOpen={revoking !== null}
        onOpenChange={(o) => !o && setRevoking(null)}
        title={t.tokens.revokeTitle}
        body={t.tokens.revokeBody(revoking?.name ?? "")}
        confirmLabel={t.common.revoke}
        danger
        onConfirm={confirmRevoke}
        displayError={displayError}
      />
    </div>
  );
}

type TokenField = "name" | "role" | "expiry";

const tokenFields = {
  name: ["name", t.tokens.name],
  role: ["role", t.roles.label],
  expire_time: ["expiry", t.tokens.expiry],
} as const satisfies Record<string, readonly [TokenField, string]>;

function CreateTokenForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (token: ApiToken, secret: string) => void }) {
  const create = useMutation(AuthService.method.createApiToken);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(Role.VIDEO_OPERATOR);
  const [expiry, setExpiry] = useState<Expiry>("90");
  const [date, setDate] = useState(() => formatUtcDate(new Date(Date.now() + 90 * day)));
  const [errors, setErrors] = useState<FieldErrors<TokenField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const today = new Date();

  // Presets count whole days from now; a date means the end of that day, UTC.
  const expireAt = expiry === "custom" ? (date ? new Date(`${date}T23:59:59Z`) : null) : new Date(Date.now() + Number(expiry) * day);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    if (!expireAt || Number.isNaN(expireAt.getTime())) {
      setErrors({ expiry: [t.tokens.expiryDate] });
      return;
    }
    try {
      const res = await create.mutateAsync({ name: name.trim(), role, expireTime: timestampFromDate(expireAt) });
      if (res.apiToken) {
        onCreated(res.apiToken, res.secret);
      }
    } catch (err) {
      const e = formErrors(err, tokenFields);
      setErrors(e.fields);
      setFormError(e.form);
      if (e.first === "name") {
        nameRef.current?.focus();
      }
    }
  }

  return (
    <Form className="form" onSubmit={submit} validationErrors={errors}>
      <FormAlert message={formError} />
      <TextInput label={t.tokens.name} name="name" value={name} onChange={setName} isRequired autoFocus description={t.tokens.nameHelp} inputRef={nameRef} autoComplete="off" />
      <RoleChoices value={role} onChange={setRole} />
      <Choices label={t.tokens.expiry} name="expiry" value={expiry} onChange={setExpiry} choices={expiryChoices} />
      {expiry === "custom" && (
        <TextField className="field field-date" name="expiryDate" value={date} onChange={setDate} isRequired>
          <Label>{t.tokens.expiryDate}</Label>
          <Input type="date" min={formatUtcDate(new Date(today.getTime() + day))} max={formatUtcDate(new Date(today.getTime() + 730 * day))} />
        </TextField>
      )}
      {expireAt && !Number.isNaN(expireAt.getTime()) && <p className="muted">{t.tokens.expiryOn(formatUtc(expireAt))}</p>}
      <div className="dialog-actions">
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button type="submit" className="button primary" isPending={create.isPending}>
          {t.tokens.create}
        </Button>
      </div>
    </Form>
  );
}

/** SecretOnce shows a new token's secret, the only time it can be seen, with a copy button. */
function SecretOnce({ token, secret, onDone }: { token: ApiToken; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const noteId = useId();

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(t.tokens.copied);
    } catch {
      // The clipboard API needs a secure context and permission; select the
      // text so the user can copy it.
      input.current?.select();
      setCopied(t.tokens.copyFailed);
    }
  }

  return (
    <div className="form">
      <p className="banner banner-warning" id={noteId}>
        {t.tokens.secretNote}
      </p>
      <dl className="facts">
        <dt>{t.tokens.name}</dt>
        <dd className="strong">{token.name}</dd>
        <dt>{t.roles.label}</dt>
        <dd>{roleName(token.role)}</dd>
        <dt>{t.tokens.expires}</dt>
        <dd>{formatUtc(token.expireTime)}</dd>
      </dl>
      <TextField className="field" value={secret} isReadOnly aria-describedby={noteId}>
        <Label>{t.tokens.secretLabel}</Label>
        <div className="secret-row">
          <Input ref={input} className="code" data-testid="api-token-secret" onFocus={(e) => e.currentTarget.select()} />
          <Button className="button" onPress={() => void copy()}>
            {t.tokens.copy}
          </Button>
        </div>
      </TextField>
      <p className="muted" role="status">
        {copied}
      </p>
      <div className="dialog-actions">
        <Button className="button primary" onPress={onDone}>
          {t.tokens.done}
        </Button>
      </div>
    </div>
  );
}
