import { useRef, useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { ConnectionFailure, ServerService, type CallBridge, type CallBridgeConnection, type ConnectionTestResult, type DiscoveredCallBridge } from "@switchboard/client";
import { Button, FileTrigger, Form, Switch } from "react-aria-components";
import { formErrors, type FieldErrors } from "../errors";
import { CheckboxInput, NumberInput, TextAreaInput, TextInput } from "../fields";
import { t } from "../strings";
import { FormAlert } from "../ui";

/** What the form does: add a bridge, add a discovered peer (pre-filled), or edit one. */
export type BridgeFormMode =
  | { kind: "add" }
  | { kind: "discovered"; discovered: DiscoveredCallBridge; template?: CallBridge }
  | { kind: "edit"; bridge: CallBridge };

type Field = "address" | "port" | "username" | "password" | "displayName" | "clusterName" | "chain";

const fields = {
  "connection.address": ["address", t.servers.address],
  "connection.port": ["port", t.servers.port],
  "connection.username": ["username", t.servers.username],
  "connection.password": ["password", t.servers.password],
  "connection.trusted_chain_pem": ["chain", t.servers.chain],
  display_name: ["displayName", t.servers.displayName],
  cluster_display_name: ["clusterName", t.servers.clusterName],
} as const satisfies Record<string, readonly [Field, string]>;

const failureText: Record<ConnectionFailure, string> = {
  [ConnectionFailure.UNSPECIFIED]: "",
  [ConnectionFailure.UNREACHABLE]: t.servers.failure.unreachable,
  [ConnectionFailure.TLS_HANDSHAKE]: t.servers.failure.tlsHandshake,
  [ConnectionFailure.UNTRUSTED]: t.servers.failure.untrusted,
  [ConnectionFailure.NAME_MISMATCH]: t.servers.failure.nameMismatch,
  [ConnectionFailure.REVOKED]: t.servers.failure.revoked,
  [ConnectionFailure.CRL_UNAVAILABLE]: t.servers.failure.crlUnavailable,
  [ConnectionFailure.BAD_CREDENTIALS]: t.servers.failure.badCredentials,
  [ConnectionFailure.NOT_CALL_BRIDGE]: t.servers.failure.notCallBridge,
  [ConnectionFailure.API_ERROR]: t.servers.failure.apiError,
};

interface BridgeFormProps {
  mode: BridgeFormMode;
  onCancel: () => void;
  onSaved: (bridge: CallBridge, added: boolean) => void;
}

/**
 * BridgeForm adds or edits a Call Bridge (SV-04 … SV-14, SV-18, SV-20):
 * "Test connection" says exactly what failed before anything is saved; the
 * password is write-only (an edit shows that one is set and keeps it when
 * left empty); CRL checking is only selectable with verification.
 */
export function BridgeForm({ mode, onCancel, onSaved }: BridgeFormProps) {
  const bridge = mode.kind === "edit" ? mode.bridge : undefined;
  const template = mode.kind === "discovered" ? mode.template : undefined;
  const add = useMutation(ServerService.method.addCallBridge);
  const update = useMutation(ServerService.method.updateCallBridge);
  const test = useMutation(ServerService.method.testCallBridgeConnection);
  const [address, setAddress] = useState(bridge?.address ?? (mode.kind === "discovered" ? mode.discovered.address : ""));
  const [port, setPort] = useState<number>(bridge?.port || (mode.kind === "discovered" ? mode.discovered.port : 0) || 443);
  const [username, setUsername] = useState(bridge?.username ?? template?.username ?? "");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState(bridge?.displayName ?? (mode.kind === "discovered" ? mode.discovered.name : ""));
  const [clusterName, setClusterName] = useState("");
  const [verify, setVerify] = useState(bridge?.verifyCertificate ?? template?.verifyCertificate ?? false);
  const [chain, setChain] = useState(bridge?.trustedChainPem ?? template?.trustedChainPem ?? "");
  const [checkCrl, setCheckCrl] = useState(bridge?.checkCrl ?? template?.checkCrl ?? false);
  const [manage, setManage] = useState(true);
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [result, setResult] = useState<ConnectionTestResult | null>(null);
  const addressRef = useRef<HTMLInputElement>(null);

  function connection(): CallBridgeConnection {
    return {
      $typeName: "switchboard.servers.v1.CallBridgeConnection",
      address: address.trim(),
      port: Number.isFinite(port) ? port : 443,
      username: username.trim(),
      password,
      verifyCertificate: verify,
      trustedChainPem: verify ? chain : "",
      checkCrl: verify && checkCrl,
    };
  }

  function fail(err: unknown) {
    const e = formErrors(err, fields);
    setErrors(e.fields);
    setFormError(e.form);
    if (e.first === "address") {
      addressRef.current?.focus();
    }
  }

  async function onTest() {
    setFormError(null);
    setErrors({});
    setResult(null);
    try {
      const res = await test.mutateAsync({ connection: connection(), callBridgeId: bridge?.id ?? "" });
      setResult(res.result ?? null);
    } catch (err) {
      fail(err);
    }
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    setErrors({});
    try {
      if (bridge) {
        const res = await update.mutateAsync({ id: bridge.id, displayName: displayName.trim(), connection: connection() });
        if (res.callBridge) onSaved(res.callBridge, false);
      } else {
        const res = await add.mutateAsync({
          connection: connection(),
          displayName: displayName.trim(),
          meetingManagement: manage,
          clusterDisplayName: clusterName.trim(),
        });
        if (res.callBridge) onSaved(res.callBridge, true);
      }
    } catch (err) {
      fail(err);
    }
  }

  async function loadChain(files: FileList | null) {
    const file = files?.[0];
    if (file) {
      setChain(await file.text());
    }
  }

  return (
    <Form className="form" onSubmit={submit} validationErrors={errors}>
      <FormAlert message={formError} />
      <div className="form-row">
        <TextInput
          label={t.servers.address}
          name="address"
          value={address}
          onChange={setAddress}
          isRequired
          autoFocus
          code
          autoComplete="off"
          inputRef={addressRef}
          description={t.servers.addressHelp}
        />
        <NumberInput label={t.servers.port} name="port" value={port} onChange={setPort} minValue={1} maxValue={65535} description={t.servers.portHelp} />
      </div>
      <div className="form-row">
        <TextInput label={t.servers.username} name="username" value={username} onChange={setUsername} isRequired autoComplete="off" />
        <TextInput
          label={t.servers.password}
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          isRequired={!bridge}
          autoComplete="new-password"
          description={bridge?.hasPassword ? t.servers.passwordSet : t.servers.passwordHelpNew}
        />
      </div>
      <TextInput label={t.servers.displayName} name="displayName" value={displayName} onChange={setDisplayName} isRequired description={t.servers.displayNameHelp} />
      {!bridge && mode.kind === "add" && (
        <TextInput label={t.servers.clusterName} name="clusterName" value={clusterName} onChange={setClusterName} description={t.servers.clusterNameHelp} />
      )}
      <CheckboxInput isSelected={verify} onChange={setVerify} description={t.servers.verifyHelp}>
        {t.servers.verify}
      </CheckboxInput>
      {verify && (
        <>
          <TextAreaInput label={t.servers.chain} name="chain" value={chain} onChange={setChain} rows={5} code description={t.servers.chainHelp} isRequired />
          <FileTrigger acceptedFileTypes={[".pem", ".crt", ".cer", "application/x-pem-file"]} onSelect={(f) => void loadChain(f)}>
            <Button className="button small">{t.servers.chainFile}</Button>
          </FileTrigger>
        </>
      )}
      <CheckboxInput isSelected={verify && checkCrl} onChange={setCheckCrl} isDisabled={!verify} description={t.servers.checkCrlHelp}>
        {t.servers.checkCrl}
      </CheckboxInput>
      {mode.kind === "add" && (
        <div className="switch-field">
          <Switch className="switch" isSelected={manage} onChange={setManage} aria-describedby="manage-help">
            <span className="switch-track" aria-hidden="true">
              <span className="switch-thumb" />
            </span>
            {t.servers.manage}
          </Switch>
          <p className="field-help" id="manage-help">
            {t.servers.manageHelpNew}
          </p>
        </div>
      )}
      <div className="test-result" role="status" aria-atomic="true">
        {result &&
          (result.ok ? (
            <p className="banner banner-success">
              {t.servers.testOk(result.softwareVersion, result.bridgeName)} {!result.tlsVerified && t.servers.testOkUnverified}
            </p>
          ) : (
            <p className="banner banner-error">
              <strong>{failureText[result.failure] || t.servers.failure.apiError}.</strong> {result.message}
            </p>
          ))}
      </div>
      <div className="dialog-actions">
        <Button className="button" onPress={() => void onTest()} isPending={test.isPending}>
          {t.servers.test}
        </Button>
        <span className="spacer" />
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button className="button primary" type="submit" isPending={add.isPending || update.isPending}>
          {bridge ? t.common.save : t.servers.add}
        </Button>
      </div>
    </Form>
  );
}
