import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import {
  ComplianceAnswer,
  LicensingService,
  OverviewService,
  RegistrationState,
  SmartLicensingService,
  UsageReportResult,
  type SmartLicensing,
} from "@switchboard/client";
import { Button, Form } from "react-aria-components";
import { ConfirmDialog, ModalDialog } from "../dialogs";
import { displayError, formErrors, type FieldErrors } from "../errors";
import { CheckboxInput, TextInput } from "../fields";
import { formatUtc } from "../format";
import { invalidate } from "../session";
import { t } from "../strings";
import { Banner, FormAlert, LoadError, Panel, StatusMessage, useFlash } from "../ui";
import { tl } from "./strings";

const ts = tl.smart;

type TokenField = "token";

const tokenFields = { token: ["token", ts.token] } as const satisfies Record<string, readonly [TokenField, string]>;

function stateLabel(s: RegistrationState): string {
  switch (s) {
    case RegistrationState.UNREGISTERED:
      return ts.unregistered;
    case RegistrationState.REGISTERED:
      return ts.registered;
    case RegistrationState.REGISTRATION_EXPIRED:
      return ts.expired;
    default:
      return ts.unknown;
  }
}

/**
 * SmartLicensingPanel is the Smart Licensing part of Settings › Licensing
 * (ST-45, LI-70 … LI-80): the registration state and its times, the last
 * usage report with SSM's answer, the purchased counts, and the actions —
 * register with a token (optionally forced), renew the authorization or
 * the registration now, reregister with another virtual account's token,
 * and deregister, saying when SSM could not be told (LI-77).
 */
export function SmartLicensingPanel({ onDeregistered }: { onDeregistered: (ssmNotified: boolean) => void }) {
  const queryClient = useQueryClient();
  const smart = useQuery(SmartLicensingService.method.getSmartLicensing);
  const renewAuth = useMutation(SmartLicensingService.method.renewAuthorization);
  const renewReg = useMutation(SmartLicensingService.method.renewRegistration);
  const deregister = useMutation(SmartLicensingService.method.deregister);
  const [flash, setFlash] = useFlash(8000);
  const [actionError, setActionError] = useState<string | null>(null);
  const [reregistering, setReregistering] = useState(false);
  const [deregistering, setDeregistering] = useState(false);

  const reload = () =>
    invalidate(
      queryClient,
      SmartLicensingService.method.getSmartLicensing,
      LicensingService.method.getLicenseDetails,
      LicensingService.method.getLicenseStatus,
      OverviewService.method.getOverview,
    );

  async function act(run: () => Promise<unknown>, done: string) {
    setActionError(null);
    setFlash(null);
    try {
      await run();
      setFlash(done);
    } catch (err) {
      setActionError(displayError(err));
    } finally {
      await reload();
    }
  }

  const s = smart.data?.smartLicensing;
  const registered = s?.state === RegistrationState.REGISTERED;
  return (
    <Panel id="smart-licensing" title={ts.title} description={ts.help}>
      {smart.error && <LoadError what={ts.title} reason={displayError(smart.error)} />}
      {smart.isPending && <p className="muted">{t.common.loading}</p>}
      {s && (
        <>
          {!s.ssmConfigured && <Banner kind="warning">{ts.notConfigured}</Banner>}
          {s.lastError && (
            <div role="alert">
              <Banner kind="warning">{ts.lastError(s.lastError.operation, s.lastError.message, formatUtc(s.lastError.time))}</Banner>
            </div>
          )}
          <SmartFacts s={s} />
          <StatusMessage message={flash} />
          <FormAlert message={actionError} />
          {registered ? (
            <div className="inline-actions" role="group" aria-label={ts.actions}>
              <Button className="button" isPending={renewAuth.isPending} onPress={() => void act(() => renewAuth.mutateAsync({}), ts.renewedAuthorization)}>
                {ts.renewAuthorization}
              </Button>
              <Button className="button" isPending={renewReg.isPending} onPress={() => void act(() => renewReg.mutateAsync({}), ts.renewedRegistration)}>
                {ts.renewRegistration}
              </Button>
              <Button className="button" onPress={() => setReregistering(true)}>
                {ts.reregister}
              </Button>
              <Button className="button danger-outline" onPress={() => setDeregistering(true)}>
                {ts.deregister}
              </Button>
            </div>
          ) : (
            <RegisterForm
              disabled={!s.ssmConfigured}
              forceSuggested={s.state === RegistrationState.REGISTRATION_EXPIRED}
              onRegistered={async (va) => {
                setActionError(null);
                setFlash(ts.registeredIn(va));
                await reload();
              }}
            />
          )}
        </>
      )}
      <ModalDialog title={ts.reregisterTitle} isOpen={reregistering} onOpenChange={setReregistering}>
        {reregistering && (
          <ReregisterForm
            onCancel={() => setReregistering(false)}
            onDone={async (va) => {
              setReregistering(false);
              setFlash(ts.registeredIn(va));
              await reload();
            }}
          />
        )}
      </ModalDialog>
      <ConfirmDialog
        title={ts.deregisterTitle}
        body={ts.deregisterBody}
        confirmLabel={ts.deregisterConfirm}
        danger
        isOpen={deregistering}
        onOpenChange={setDeregistering}
        displayError={displayError}
        onConfirm={async () => {
          const res = await deregister.mutateAsync({});
          onDeregistered(res.ssmNotified);
          setFlash(null);
          await reload();
        }}
      />
    </Panel>
  );
}

function SmartFacts({ s }: { s: SmartLicensing }) {
  const when = (x: Parameters<typeof formatUtc>[0]) => formatUtc(x, "—");
  const report =
    s.lastUsageReportResult === UsageReportResult.ACCEPTED
      ? ts.reportAccepted(when(s.lastUsageReportTime))
      : s.lastUsageReportResult === UsageReportResult.FAILED
        ? ts.reportFailed(when(s.lastUsageReportTime))
        : t.common.never;
  const compliance =
    s.compliance === ComplianceAnswer.IN_COMPLIANCE ? ts.complianceIn : s.compliance === ComplianceAnswer.OUT_OF_COMPLIANCE ? ts.complianceOut : ts.noAnswer;
  return (
    <dl className="facts smart-facts" data-testid="smart-facts">
      <dt>{ts.state}</dt>
      <dd data-testid="registration-state" data-state={RegistrationState[s.state]}>
        <span className={`lic-status ${s.state === RegistrationState.REGISTERED ? "lic-ok" : s.state === RegistrationState.REGISTRATION_EXPIRED ? "lic-bad" : "lic-muted"}`}>
          {stateLabel(s.state)}
        </span>
      </dd>
      <dt>{ts.virtualAccount}</dt>
      <dd data-testid="virtual-account">{s.virtualAccount || "—"}</dd>
      <dt>{ts.productInstance}</dt>
      <dd className="mono">{s.productInstanceId || "—"}</dd>
      <dt>{ts.registerTime}</dt>
      <dd>{when(s.registerTime)}</dd>
      <dt>{ts.lastAuthorization}</dt>
      <dd>{when(s.lastAuthorizationRenewalTime)}</dd>
      <dt>{ts.nextAuthorization}</dt>
      <dd>{when(s.nextAuthorizationRenewalTime)}</dd>
      <dt>{ts.authorizationExpires}</dt>
      <dd>{when(s.authorizationExpireTime)}</dd>
      <dt>{ts.lastRegistration}</dt>
      <dd>{when(s.lastRegistrationRenewalTime)}</dd>
      <dt>{ts.nextRegistration}</dt>
      <dd>{when(s.nextRegistrationRenewalTime)}</dd>
      <dt>{ts.registrationExpires}</dt>
      <dd>{when(s.registrationExpireTime)}</dd>
      <dt>{ts.lastReport}</dt>
      <dd>{report}</dd>
      <dt>{ts.compliance}</dt>
      <dd data-testid="ssm-compliance">{compliance}</dd>
      <dt>{ts.purchased}</dt>
      <dd>
        {s.purchased.length === 0 ? (
          "—"
        ) : (
          <ul className="plain-list">
            {s.purchased.map((p) => (
              <li key={p.tag}>{ts.purchasedItem(p.name || p.tag, p.count)}</li>
            ))}
          </ul>
        )}
      </dd>
    </dl>
  );
}

function RegisterForm({ disabled, forceSuggested, onRegistered }: { disabled: boolean; forceSuggested: boolean; onRegistered: (va: string) => Promise<void> }) {
  const register = useMutation(SmartLicensingService.method.register);
  const [token, setToken] = useState("");
  const [force, setForce] = useState(forceSuggested);
  const [errors, setErrors] = useState<FieldErrors<TokenField>>({});
  const [formError, setFormError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    if (token.trim() === "") {
      setErrors({ token: [ts.tokenRequired] });
      return;
    }
    try {
      const res = await register.mutateAsync({ token: token.trim(), force });
      setToken("");
      await onRegistered(res.smartLicensing?.virtualAccount ?? "");
    } catch (err) {
      const e = formErrors(err, tokenFields);
      setErrors(e.fields);
      setFormError(e.form);
    }
  }

  return (
    <Form className="form smart-register" onSubmit={submit} validationErrors={errors} validationBehavior="aria">
      <FormAlert message={formError} />
      <TextInput
        label={ts.token}
        name="token"
        value={token}
        onChange={(v) => {
          setToken(v);
          setErrors({});
        }}
        description={ts.tokenHelp}
        isDisabled={disabled}
        code
      />
      <CheckboxInput isSelected={force} onChange={setForce} description={ts.forceHelp} isDisabled={disabled} name="force">
        {ts.force}
      </CheckboxInput>
      <div className="save-bar">
        <Button type="submit" className="button primary" isPending={register.isPending} isDisabled={disabled}>
          {ts.register}
        </Button>
      </div>
    </Form>
  );
}

function ReregisterForm({ onCancel, onDone }: { onCancel: () => void; onDone: (va: string) => Promise<void> }) {
  const reregister = useMutation(SmartLicensingService.method.reregister);
  const [token, setToken] = useState("");
  const [errors, setErrors] = useState<FieldErrors<TokenField>>({});
  const [formError, setFormError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    if (token.trim() === "") {
      setErrors({ token: [ts.tokenRequired] });
      return;
    }
    try {
      const res = await reregister.mutateAsync({ token: token.trim() });
      await onDone(res.smartLicensing?.virtualAccount ?? "");
    } catch (err) {
      const e = formErrors(err, tokenFields);
      setErrors(e.fields);
      setFormError(e.form);
    }
  }

  return (
    <Form className="form" onSubmit={submit} validationErrors={errors} validationBehavior="aria">
      <div className="dialog-body">
        <p className="muted">{ts.reregisterIntro}</p>
        <FormAlert message={formError} />
        <TextInput
          label={ts.token}
          name="token"
          value={token}
          onChange={(v) => {
            setToken(v);
            setErrors({});
          }}
          code
          autoFocus
        />
      </div>
      <div className="dialog-actions">
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button className="button primary" type="submit" isPending={reregister.isPending}>
          {ts.reregisterSubmit}
        </Button>
      </div>
    </Form>
  );
}
