import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  AuthDirectorySchema,
  ConnectionSecurity,
  DirectoryTestResult,
  UserService,
  Warning,
  type AuthDirectory,
  type TestAuthDirectoryConnectionResponse,
} from "@switchboard/client";
import { Button, FileTrigger, Form } from "react-aria-components";
import { displayError, formErrors, type FieldErrors } from "../errors";
import { formatUtc } from "../format";
import { invalidate } from "../session";
import { t } from "../strings";
import { CheckboxInput, Choices, NumberInput, TextAreaInput, TextInput, type Choice } from "../fields";
import { Banner, FormAlert, LoadError, Panel, StatusMessage, useFlash } from "../ui";

type Security = "plain" | "ldaps" | "starttls";

const securityChoices: readonly Choice<Security>[] = [
  { value: "ldaps", label: t.directory.ldaps, description: t.directory.ldapsHelp },
  { value: "starttls", label: t.directory.startTls, description: t.directory.startTlsHelp },
  { value: "plain", label: t.directory.plain, description: t.directory.plainHelp },
];

const toSecurity: Record<Security, ConnectionSecurity> = {
  plain: ConnectionSecurity.PLAIN,
  ldaps: ConnectionSecurity.LDAPS,
  starttls: ConnectionSecurity.STARTTLS,
};

function fromSecurity(s: ConnectionSecurity | undefined): Security {
  return s === ConnectionSecurity.PLAIN ? "plain" : s === ConnectionSecurity.STARTTLS ? "starttls" : "ldaps";
}

const defaultTimeoutSeconds = 5;

/** The form's values; the bind password is kept apart because it is write-only. */
interface DirectoryForm {
  enabled: boolean;
  security: Security;
  address: string;
  port: number;
  bindDn: string;
  baseDn: string;
  usernameAttribute: string;
  groupBaseDn: string;
  timeout: number;
  ca: string;
  checkCrl: boolean;
}

function formOf(d: AuthDirectory | undefined): DirectoryForm {
  return {
    enabled: d?.enabled ?? true,
    security: fromSecurity(d?.security),
    address: d?.address ?? "",
    port: d?.port ? d.port : Number.NaN,
    bindDn: d?.bindDn ?? "",
    baseDn: d?.baseDn ?? "",
    usernameAttribute: d?.usernameAttribute ?? "",
    groupBaseDn: d?.groupBaseDn ?? "",
    timeout: d?.timeout ? Number(d.timeout.seconds) : defaultTimeoutSeconds,
    ca: d?.caCertificatesPem ?? "",
    checkCrl: d?.checkCrl ?? false,
  };
}

function directoryOf(f: DirectoryForm): AuthDirectory {
  const tls = f.security !== "plain";
  return create(AuthDirectorySchema, {
    enabled: f.enabled,
    security: toSecurity[f.security],
    address: f.address.trim(),
    port: Number.isNaN(f.port) ? 0 : f.port,
    bindDn: f.bindDn.trim(),
    baseDn: f.baseDn.trim(),
    usernameAttribute: f.usernameAttribute.trim(),
    groupBaseDn: f.groupBaseDn.trim(),
    timeout: create(DurationSchema, { seconds: BigInt(Number.isNaN(f.timeout) ? defaultTimeoutSeconds : f.timeout) }),
    caCertificatesPem: tls ? f.ca : "",
    checkCrl: tls && f.checkCrl,
  });
}

type Field = "address" | "port" | "security" | "bindDn" | "bindPassword" | "baseDn" | "usernameAttribute" | "groupBaseDn" | "timeout" | "ca" | "checkCrl";

const fields = {
  "directory.address": ["address", t.directory.address],
  "directory.port": ["port", t.directory.port],
  "directory.security": ["security", t.directory.security],
  "directory.bind_dn": ["bindDn", t.directory.bindDn],
  bind_dn: ["bindDn", t.directory.bindDn],
  bind_password: ["bindPassword", t.directory.bindPassword],
  "directory.base_dn": ["baseDn", t.directory.baseDn],
  "directory.username_attribute": ["usernameAttribute", t.directory.usernameAttribute],
  "directory.group_base_dn": ["groupBaseDn", t.directory.groupBaseDn],
  "directory.timeout": ["timeout", t.directory.timeout],
  "directory.ca_certificates_pem": ["ca", t.directory.caCertificates],
  "directory.check_crl": ["checkCrl", t.directory.checkCrl],
} as const satisfies Record<string, readonly [Field, string]>;

/**
 * DirectoryTab edits the LDAP directory used for sign-in (AU-30…AU-33):
 * LDAP, LDAPS or StartTLS, the bind account (its password is write-only,
 * shown as set or not set and entered again on every save), where users are
 * searched, a trusted CA chain and CRL checking, and a connection test that
 * names exactly what failed.
 */
export function DirectoryTab() {
  const directory = useQuery(UserService.method.getAuthDirectory);
  return (
    <div className="tab-content">
      <p className="tab-intro">{t.directory.intro}</p>
      {directory.error && <LoadError what={t.directory.settingsTitle} reason={displayError(directory.error)} />}
      {directory.isPending && <p className="muted">{t.common.loading}</p>}
      {directory.data && <DirectoryEditor stored={directory.data.directory} />}
    </div>
  );
}

function DirectoryEditor({ stored }: { stored: AuthDirectory | undefined }) {
  const queryClient = useQueryClient();
  const update = useMutation(UserService.method.updateAuthDirectory);
  const test = useMutation(UserService.method.testAuthDirectoryConnection);
  const [form, setForm] = useState<DirectoryForm>(() => formOf(stored));
  const [dirty, setDirty] = useState(false);
  const [bindPassword, setBindPassword] = useState("");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const [saved, setSaved] = useFlash(6000);
  const [result, setResult] = useState<{ res: TestAuthDirectoryConnectionResponse; stored: boolean } | null>(null);
  const [testError, setTestError] = useState<string | null>(null);

  const set = <K extends keyof DirectoryForm>(key: K, field?: Field) => (value: DirectoryForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setDirty(true);
    if (field) {
      setErrors(({ [field]: _, ...rest }) => rest as FieldErrors<Field>);
    }
  };
  const tls = form.security !== "plain";
  const defaultPort = form.security === "ldaps" ? 636 : 389;

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    setSaved(null);
    try {
      const res = await update.mutateAsync({ directory: directoryOf(form), bindPassword });
      setWarnings(res.warnings);
      setBindPassword("");
      setDirty(false);
      setForm(formOf(res.directory));
      setSaved(t.directory.saved);
      await invalidate(queryClient, UserService.method.getAuthDirectory);
    } catch (err) {
      const e = formErrors(err, fields);
      setErrors(e.fields);
      setFormError(e.form);
      if (e.first) {
        document.querySelector<HTMLElement>(`[name="${e.first}"]`)?.focus();
      }
    }
  }

  async function runTest() {
    setResult(null);
    setTestError(null);
    // The stored bind password is never used with settings from the form,
    // so a form with a bind DN needs the password typed again; an unchanged
    // form tests the saved settings, stored password included.
    const useStored = stored !== undefined && !dirty && bindPassword === "";
    if (!useStored && form.bindDn.trim() !== "" && bindPassword === "") {
      setErrors((e) => ({ ...e, bindPassword: [t.directory.testNeedsPassword] }));
      document.querySelector<HTMLElement>('[name="bindPassword"]')?.focus();
      return;
    }
    try {
      const res = await test.mutateAsync(useStored ? {} : { directory: directoryOf(form), bindPassword });
      setResult({ res, stored: useStored });
    } catch (err) {
      const e = formErrors(err, fields);
      setErrors(e.fields);
      setTestError(e.form);
    }
  }

  return (
    <Form className="form" onSubmit={save} validationErrors={errors}>
      {!stored && <Banner kind="info">{t.directory.notConfigured}</Banner>}
      {warnings.includes(Warning.EDIT_AS_LOCAL_ADMIN_RECOMMENDED) && <Banner kind="warning">{t.warnings.editAsLocalAdmin}</Banner>}
      <FormAlert message={formError} />
      <Panel title={t.directory.settingsTitle} description={stored?.updateTime ? t.directory.lastSaved(formatUtc(stored.updateTime)) : undefined}>
        <div className="form">
          <CheckboxInput isSelected={form.enabled} onChange={set("enabled")}>
            {t.directory.enabled}
          </CheckboxInput>
          <Choices label={t.directory.security} name="security" value={form.security} onChange={set("security", "security")} choices={securityChoices} orientation="horizontal" />
          <div className="field-row address-row">
            <TextInput label={t.directory.address} name="address" value={form.address} onChange={set("address", "address")} isRequired description={t.directory.addressHelp} autoComplete="off" />
            <NumberInput
              label={t.directory.port}
              name="port"
              value={form.port}
              onChange={set("port", "port")}
              minValue={1}
              maxValue={65535}
              placeholder={String(defaultPort)}
              description={t.directory.portHelp(defaultPort)}
            />
          </div>
          <div className="field-row">
            <TextInput label={t.directory.bindDn} name="bindDn" value={form.bindDn} onChange={set("bindDn", "bindDn")} code description={t.directory.bindDnHelp} autoComplete="off" />
            <TextInput
              label={t.directory.bindPassword}
              name="bindPassword"
              type="password"
              autoComplete="new-password"
              value={bindPassword}
              onChange={(v) => {
                setBindPassword(v);
                setErrors(({ bindPassword: _, ...rest }) => rest as FieldErrors<Field>);
              }}
              isRequired={form.bindDn.trim() !== ""}
              description={
                <>
                  <span className={stored?.bindPasswordSet ? "state state-set" : "state"} data-testid="bind-password-state">
                    {stored?.bindPasswordSet ? t.common.set : t.common.notSet}
                  </span>{" "}
                  {t.directory.bindPasswordState(stored?.bindPasswordSet ?? false)}
                </>
              }
            />
          </div>
          <div className="field-row">
            <TextInput label={t.directory.baseDn} name="baseDn" value={form.baseDn} onChange={set("baseDn", "baseDn")} isRequired code description={t.directory.baseDnHelp} autoComplete="off" />
            <TextInput
              label={t.directory.usernameAttribute}
              name="usernameAttribute"
              value={form.usernameAttribute}
              onChange={set("usernameAttribute", "usernameAttribute")}
              isRequired
              code
              placeholder="uid"
              description={t.directory.usernameAttributeHelp}
              autoComplete="off"
            />
          </div>
          <div className="field-row">
            <TextInput label={t.directory.groupBaseDn} name="groupBaseDn" value={form.groupBaseDn} onChange={set("groupBaseDn", "groupBaseDn")} code description={t.directory.groupBaseDnHelp} autoComplete="off" />
            <NumberInput label={t.directory.timeout} name="timeout" value={form.timeout} onChange={set("timeout", "timeout")} minValue={1} maxValue={60} description={t.directory.timeoutHelp} />
          </div>
        </div>
      </Panel>

      <Panel title={t.directory.tlsTitle} description={tls ? undefined : t.directory.tlsOnly}>
        <div className="form">
          <TextAreaInput
            label={t.directory.caCertificates}
            name="ca"
            value={form.ca}
            onChange={set("ca", "ca")}
            rows={5}
            code
            isDisabled={!tls}
            description={t.directory.caHelp}
          />
          <div>
            <FileTrigger
              acceptedFileTypes={[".pem", ".crt", ".cer", "application/x-pem-file", "text/plain"]}
              onSelect={(files) => {
                const file = files?.[0];
                if (file) void file.text().then((text) => set("ca", "ca")(text));
              }}
            >
              <Button className="button small" isDisabled={!tls}>
                {t.directory.loadCa}
              </Button>
            </FileTrigger>
          </div>
          <CheckboxInput isSelected={tls && form.checkCrl} onChange={set("checkCrl", "checkCrl")} isDisabled={!tls} description={t.directory.checkCrlHelp}>
            {t.directory.checkCrl}
          </CheckboxInput>
        </div>
      </Panel>

      <div className="save-bar">
        <Button type="submit" className="button primary" isPending={update.isPending}>
          {update.isPending ? t.common.saving : t.directory.save}
        </Button>
        <Button className="button" onPress={() => void runTest()} isPending={test.isPending}>
          {test.isPending ? t.directory.testing : t.directory.test}
        </Button>
        <StatusMessage message={saved} />
      </div>
      <div role="status" aria-live="polite" aria-atomic="true">
        {result && <TestResult res={result.res} stored={result.stored} />}
        {testError && <p className="banner banner-error">{testError}</p>}
      </div>
    </Form>
  );
}

function resultText(r: DirectoryTestResult): string {
  switch (r) {
    case DirectoryTestResult.OK:
      return t.directory.results.ok;
    case DirectoryTestResult.UNREACHABLE:
      return t.directory.results.unreachable;
    case DirectoryTestResult.TLS_FAILURE:
      return t.directory.results.tls;
    case DirectoryTestResult.BIND_REFUSED:
      return t.directory.results.bind;
    case DirectoryTestResult.BASE_DN_MISSING:
      return t.directory.results.baseDn;
    case DirectoryTestResult.TIMEOUT:
      return t.directory.results.timeout;
    default:
      return t.directory.results.unknown;
  }
}

/** TestResult shows the test's outcome and the server's precise detail. */
function TestResult({ res, stored }: { res: TestAuthDirectoryConnectionResponse; stored: boolean }) {
  const ok = res.result === DirectoryTestResult.OK;
  return (
    <div className={ok ? "test-result test-ok" : "test-result test-bad"} data-testid="directory-test-result">
      <p className="strong">{resultText(res.result)}</p>
      {res.message && <p className="mono break">{res.message}</p>}
      <p className="muted">{stored ? t.directory.testStored : t.directory.testForm}</p>
    </div>
  );
}
