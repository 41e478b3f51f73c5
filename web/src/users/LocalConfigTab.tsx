import { useId, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import {
  AuthService,
  UserService,
  createSwitchboardTransport,
  uploadProgressFetch,
  type LocalSecurityPolicy,
  type PassphraseDictionary,
  type SignInSettings,
} from "@switchboard/client";
import { Button, FileTrigger, Form, Label, ProgressBar } from "react-aria-components";
import { apiBaseUrl } from "../api";
import { displayError, formErrors, type FieldErrors } from "../errors";
import { formatSize, formatUtc } from "../format";
import { invalidate } from "../session";
import { t } from "../strings";
import { ConfirmDialog } from "../dialogs";
import { CheckboxInput, NumberInput, TextAreaInput } from "../fields";
import { FormAlert, LoadError, Panel, StatusMessage, useFlash } from "../ui";

/** The limits the server enforces, checked here first to answer sooner. */
const maxMessageChars = 4096;
const maxDictionaryBytes = 10 * 1024 * 1024;

/** num turns an empty number field (NaN) into an unset optional field. */
function num(value: number): number | undefined {
  return Number.isNaN(value) ? undefined : value;
}

/**
 * LocalConfigTab holds the settings for local users and sign-in: password
 * policies (AU-19…AU-23), the passphrase generator and its dictionary
 * (AU-24…AU-28), sign-in rate limiting (ST-51), the idle timeout (ST-52)
 * and the sign-in messages (ST-50). Each panel saves on its own; every
 * change takes effect at once.
 */
export function LocalConfigTab() {
  const policy = useQuery(UserService.method.getLocalSecurityPolicy);
  const signIn = useQuery(AuthService.method.getSignInSettings);
  return (
    <div className="tab-content">
      <p className="tab-intro">{t.config.intro}</p>
      {policy.error && <LoadError what={t.config.policyTitle} reason={displayError(policy.error)} />}
      {signIn.error && <LoadError what={t.config.rateTitle} reason={displayError(signIn.error)} />}
      {(policy.isPending || signIn.isPending) && <p className="muted">{t.common.loading}</p>}
      {policy.data?.policy && (
        <>
          <PasswordPolicyPanel policy={policy.data.policy} />
          <GeneratorPanel policy={policy.data.policy} dictionary={policy.data.dictionary} />
        </>
      )}
      {signIn.data?.settings && (
        <>
          <RateLimitPanel settings={signIn.data.settings} />
          <IdleTimeoutPanel settings={signIn.data.settings} />
          <MessagesPanel settings={signIn.data.settings} />
        </>
      )}
    </div>
  );
}

/** SaveBar is a panel's Save button with its outcome. */
function SaveBar({ pending, saved }: { pending: boolean; saved: string | null }) {
  return (
    <div className="save-bar">
      <Button type="submit" className="button primary" isPending={pending}>
        {pending ? t.common.saving : t.common.save}
      </Button>
      <StatusMessage message={saved} />
    </div>
  );
}

/** useSave runs a panel's save and sorts its errors onto the panel's fields. */
function useSave<F extends string>(fields: Record<string, readonly [F, string]>) {
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useFlash(4000);
  async function run(action: () => Promise<unknown>) {
    setErrors({});
    setFormError(null);
    setSaved(null);
    try {
      await action();
      setSaved(t.common.saved);
    } catch (err) {
      const e = formErrors(err, fields);
      setErrors(e.fields);
      setFormError(e.form);
    }
  }
  return { errors, formError, saved, run };
}

type PolicyField = "minLength" | "remembered";

const policyFields = {
  "password_length.min_length": ["minLength", t.config.minLength],
  "password_reuse.remembered_passwords": ["remembered", t.config.remembered],
} as const satisfies Record<string, readonly [PolicyField, string]>;

function PasswordPolicyPanel({ policy }: { policy: LocalSecurityPolicy }) {
  const queryClient = useQueryClient();
  const update = useMutation(UserService.method.updateLocalSecurityPolicy);
  const [lengthOn, setLengthOn] = useState(policy.passwordLength?.enabled ?? false);
  const [minLength, setMinLength] = useState(policy.passwordLength?.minLength ?? 8);
  const [reuseOn, setReuseOn] = useState(policy.passwordReuse?.enabled ?? false);
  const [remembered, setRemembered] = useState(policy.passwordReuse?.rememberedPasswords ?? Number.NaN);
  const [strengthOn, setStrengthOn] = useState(policy.passwordStrength?.enabled ?? false);
  const save = useSave(policyFields);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void save.run(async () => {
      const res = await update.mutateAsync({
        passwordLength: { enabled: lengthOn, minLength: num(minLength) },
        passwordReuse: { enabled: reuseOn, rememberedPasswords: num(remembered) },
        passwordStrength: { enabled: strengthOn },
      });
      const p = res.policy;
      if (p?.passwordLength?.minLength !== undefined) setMinLength(p.passwordLength.minLength);
      await invalidate(queryClient, UserService.method.getLocalSecurityPolicy, UserService.method.getPasswordRequirements);
    });
  }

  return (
    <Panel title={t.config.policyTitle} description={t.config.policyHelp}>
      <Form className="form" onSubmit={submit} validationErrors={save.errors}>
        <FormAlert message={save.formError} />
        <div className="setting">
          <CheckboxInput isSelected={lengthOn} onChange={setLengthOn}>
            {t.config.minLengthEnabled}
          </CheckboxInput>
          <NumberInput label={t.config.minLength} name="minLength" value={minLength} onChange={setMinLength} minValue={1} maxValue={1024} isDisabled={!lengthOn} />
        </div>
        <div className="setting">
          <CheckboxInput isSelected={reuseOn} onChange={setReuseOn}>
            {t.config.reuseEnabled}
          </CheckboxInput>
          <NumberInput
            label={t.config.remembered}
            name="remembered"
            value={remembered}
            onChange={setRemembered}
            minValue={1}
            maxValue={24}
            isDisabled={!reuseOn}
            description={t.config.rememberedHelp}
          />
        </div>
        <CheckboxInput isSelected={strengthOn} onChange={setStrengthOn} description={t.config.strengthHelp}>
          {t.config.strengthEnabled}
        </CheckboxInput>
        <SaveBar pending={update.isPending} saved={save.saved} />
      </Form>
    </Panel>
  );
}

type GeneratorField = "wordCount";

const generatorFields = {
  "passphrase_generator.word_count": ["wordCount", t.config.wordCount],
} as const satisfies Record<string, readonly [GeneratorField, string]>;

function GeneratorPanel({ policy, dictionary }: { policy: LocalSecurityPolicy; dictionary: PassphraseDictionary | undefined }) {
  const queryClient = useQueryClient();
  const update = useMutation(UserService.method.updateLocalSecurityPolicy);
  const [enabled, setEnabled] = useState(policy.passphraseGenerator?.enabled ?? false);
  const [words, setWords] = useState(policy.passphraseGenerator?.wordCount ?? 5);
  const save = useSave(generatorFields);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void save.run(async () => {
      await update.mutateAsync({ passphraseGenerator: { enabled, wordCount: num(words) } });
      await invalidate(queryClient, UserService.method.getLocalSecurityPolicy, UserService.method.getPasswordRequirements);
    });
  }

  return (
    <Panel title={t.config.generatorTitle}>
      <Form className="form" onSubmit={submit} validationErrors={save.errors}>
        <FormAlert message={save.formError} />
        <div className="setting">
          <CheckboxInput isSelected={enabled} onChange={setEnabled}>
            {t.config.generatorEnabled}
          </CheckboxInput>
          <NumberInput label={t.config.wordCount} name="wordCount" value={words} onChange={setWords} minValue={1} maxValue={8} description={t.config.wordCountHelp} />
        </div>
        <SaveBar pending={update.isPending} saved={save.saved} />
      </Form>
      <DictionaryUpload dictionary={dictionary} />
    </Panel>
  );
}

/**
 * DictionaryUpload uploads a passphrase dictionary with a progress bar. The
 * call goes through a transport that sends with XMLHttpRequest (fetch
 * cannot report upload progress) in the binary encoding (a third smaller
 * than base64 in JSON). The server's verdict on the file is shown next to
 * the file field.
 */
function DictionaryUpload({ dictionary }: { dictionary: PassphraseDictionary | undefined }) {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [done, setDone] = useFlash(8000);
  const [restoring, setRestoring] = useState(false);
  const transport = useMemo(
    () =>
      createSwitchboardTransport({
        baseUrl: apiBaseUrl(),
        binary: true,
        fetch: uploadProgressFetch((loaded, total) => setProgress(total > 0 ? Math.min(100, (loaded / total) * 100) : 0)),
      }),
    [],
  );
  const upload = useMutation(UserService.method.uploadPassphraseDictionary, { transport });
  const remove = useMutation(UserService.method.deletePassphraseDictionary);
  const labelId = useId();
  const helpId = useId();
  const errorId = useId();

  function choose(files: FileList | null) {
    const chosen = files?.[0] ?? null;
    setFile(chosen);
    setProgress(null);
    setDone(null);
    setFileError(chosen && chosen.size > maxDictionaryBytes ? t.config.tooLarge : null);
  }

  async function send() {
    if (!file || file.size > maxDictionaryBytes) {
      return;
    }
    setFileError(null);
    setDone(null);
    setProgress(0);
    try {
      const content = new Uint8Array(await file.arrayBuffer());
      const res = await upload.mutateAsync({ content });
      setDone(t.config.uploaded(res.dictionary?.wordCount ?? 0));
      setFile(null);
      await invalidate(queryClient, UserService.method.getLocalSecurityPolicy);
    } catch (err) {
      setProgress(null);
      const e = formErrors(err, { content: ["content", t.config.dictionaryFile] } as const);
      setFileError(e.fields.content?.join(" ") ?? e.form);
    }
  }

  async function restoreBuiltIn() {
    await remove.mutateAsync({});
    setDone(t.config.builtInRestored);
    await invalidate(queryClient, UserService.method.getLocalSecurityPolicy);
  }

  let current: ReactNode = null;
  if (dictionary) {
    current = dictionary.builtIn
      ? t.config.dictionaryBuiltIn(dictionary.wordCount)
      : t.config.dictionaryUploaded(dictionary.wordCount, formatUtc(dictionary.uploadTime), dictionary.uploadedBy || t.common.unknown);
  }

  return (
    <div className="subsection">
      <h3>{t.config.dictionaryTitle}</h3>
      {current && <p className="muted" data-testid="dictionary-state">{current}</p>}
      <div className="field" role="group" aria-labelledby={labelId} aria-describedby={`${helpId}${fileError ? ` ${errorId}` : ""}`}>
        <Label id={labelId}>{t.config.dictionaryFile}</Label>
        <div className="file-row">
          <FileTrigger onSelect={choose}>
            <Button className="button">{t.config.chooseFile}</Button>
          </FileTrigger>
          <span className="file-name" aria-live="polite">
            {file ? t.config.fileChosen(file.name, formatSize(file.size)) : t.config.noFile}
          </span>
          <Button className="button primary" isDisabled={!file || fileError === t.config.tooLarge} isPending={upload.isPending} onPress={() => void send()}>
            {upload.isPending ? t.config.uploading : t.config.upload}
          </Button>
        </div>
        <span className="field-help" id={helpId}>
          {t.config.dictionaryFileHelp}
        </span>
        <div role="alert">
          {fileError && (
            <span className="field-error" id={errorId}>
              {fileError}
            </span>
          )}
        </div>
      </div>
      {progress !== null && (
        <ProgressBar className="progress" value={progress} aria-label={t.config.uploadProgress}>
          {({ percentage, valueText }) => (
            <>
              <div className="progress-head">
                <span>{t.config.uploadProgress}</span>
                <span className="muted">{valueText}</span>
              </div>
              <div className="progress-track">
                <div className="progress-fill" style={{ width: `${percentage ?? 0}%` }} />
              </div>
            </>
          )}
        </ProgressBar>
      )}
      <StatusMessage message={done} />
      {dictionary && !dictionary.builtIn && (
        <div>
          <Button className="button small" onPress={() => setRestoring(true)}>
            {t.config.useBuiltIn}
          </Button>
        </div>
      )}
      <ConfirmDialog
        isOpen={restoring}
        onOpenChange={setRestoring}
        title={t.config.useBuiltInTitle}
        body={t.config.useBuiltInBody}
        confirmLabel={t.config.useBuiltIn}
        onConfirm={restoreBuiltIn}
        displayError={displayError}
      />
    </div>
  );
}

type RateField = "refill" | "maxTokens";

const rateFields = {
  "rate_limit.refill_seconds": ["refill", t.config.refill],
  "rate_limit.max_tokens": ["maxTokens", t.config.maxTokens],
} as const satisfies Record<string, readonly [RateField, string]>;

function RateLimitPanel({ settings }: { settings: SignInSettings }) {
  const queryClient = useQueryClient();
  const update = useMutation(AuthService.method.updateSignInSettings);
  const [enabled, setEnabled] = useState(settings.rateLimit?.enabled ?? true);
  const [refill, setRefill] = useState(settings.rateLimit?.refillSeconds ?? 300);
  const [maxTokens, setMaxTokens] = useState(settings.rateLimit?.maxTokens ?? 3);
  const save = useSave(rateFields);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void save.run(async () => {
      await update.mutateAsync({ rateLimit: { enabled, refillSeconds: num(refill), maxTokens: num(maxTokens) } });
      await invalidate(queryClient, AuthService.method.getSignInSettings);
    });
  }

  return (
    <Panel title={t.config.rateTitle} description={t.config.rateHelp}>
      <Form className="form" onSubmit={submit} validationErrors={save.errors}>
        <FormAlert message={save.formError} />
        <CheckboxInput isSelected={enabled} onChange={setEnabled}>
          {t.config.rateEnabled}
        </CheckboxInput>
        <div className="field-row">
          <NumberInput label={t.config.refill} name="refill" value={refill} onChange={setRefill} minValue={1} maxValue={86400} description={t.config.refillHelp} isDisabled={!enabled} />
          <NumberInput label={t.config.maxTokens} name="maxTokens" value={maxTokens} onChange={setMaxTokens} minValue={1} maxValue={1000} description={t.config.maxTokensHelp} isDisabled={!enabled} />
        </div>
        <SaveBar pending={update.isPending} saved={save.saved} />
      </Form>
    </Panel>
  );
}

type IdleField = "timeout";

const idleFields = {
  "idle_timeout.timeout_seconds": ["timeout", t.config.idleSeconds],
} as const satisfies Record<string, readonly [IdleField, string]>;

function IdleTimeoutPanel({ settings }: { settings: SignInSettings }) {
  const queryClient = useQueryClient();
  const update = useMutation(AuthService.method.updateSignInSettings);
  const [enabled, setEnabled] = useState(settings.idleTimeout?.enabled ?? false);
  const [timeout, setTimeoutSeconds] = useState(settings.idleTimeout?.timeoutSeconds ?? 3600);
  const save = useSave(idleFields);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void save.run(async () => {
      await update.mutateAsync({ idleTimeout: { enabled, timeoutSeconds: num(timeout) } });
      // The new timeout applies to this session too: WhoAmI says when it ends.
      await invalidate(queryClient, AuthService.method.getSignInSettings, AuthService.method.whoAmI);
    });
  }

  return (
    <Panel title={t.config.idleTitle} description={t.config.idleHelp}>
      <Form className="form" onSubmit={submit} validationErrors={save.errors}>
        <FormAlert message={save.formError} />
        <div className="setting">
          <CheckboxInput isSelected={enabled} onChange={setEnabled}>
            {t.config.idleEnabled}
          </CheckboxInput>
          <NumberInput label={t.config.idleSeconds} name="timeout" value={timeout} onChange={setTimeoutSeconds} minValue={60} maxValue={86400} description={t.config.idleSecondsHelp} isDisabled={!enabled} />
        </div>
        <SaveBar pending={update.isPending} saved={save.saved} />
      </Form>
    </Panel>
  );
}

type MessageField = "pre" | "post";

const messageFields = {
  "messages.pre_sign_in_message": ["pre", t.config.preMessage],
  "messages.post_sign_in_message": ["post", t.config.postMessage],
} as const satisfies Record<string, readonly [MessageField, string]>;

function MessagesPanel({ settings }: { settings: SignInSettings }) {
  const queryClient = useQueryClient();
  const update = useMutation(AuthService.method.updateSignInSettings);
  const [pre, setPre] = useState(settings.messages?.preSignInMessage ?? "");
  const [post, setPost] = useState(settings.messages?.postSignInMessage ?? "");
  const [showActivity, setShowActivity] = useState(settings.messages?.showAccountActivity ?? false);
  const save = useSave(messageFields);
  // A text over the limit never gets here: the field refuses it first.
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void save.run(async () => {
      await update.mutateAsync({ messages: { preSignInMessage: pre, postSignInMessage: post, showAccountActivity: showActivity } });
      await invalidate(queryClient, AuthService.method.getSignInSettings);
    });
  }

  return (
    <Panel title={t.config.messagesTitle} description={t.config.messagesHelp}>
      <Form className="form" onSubmit={submit} validationErrors={save.errors}>
        <FormAlert message={save.formError} />
        <TextAreaInput label={t.config.preMessage} name="pre" value={pre} onChange={setPre} limit={maxMessageChars} description={t.config.preMessageHelp} rows={4} />
        <TextAreaInput label={t.config.postMessage} name="post" value={post} onChange={setPost} limit={maxMessageChars} description={t.config.postMessageHelp} rows={4} />
        <CheckboxInput isSelected={showActivity} onChange={setShowActivity} description={t.config.showActivityHelp}>
          {t.config.showActivity}
        </CheckboxInput>
        <SaveBar pending={update.isPending} saved={save.saved} />
      </Form>
    </Panel>
  );
}
