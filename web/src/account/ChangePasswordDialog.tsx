import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { UserService } from "@switchboard/client";
import { Button, Form } from "react-aria-components";
import { formErrors, type FieldErrors } from "../errors";
import { PassphraseSuggestion } from "../passwords";
import { t } from "../strings";
import { ModalDialog } from "../dialogs";
import { TextInput } from "../fields";
import { FormAlert } from "../ui";

type Field = "current" | "next" | "confirm";

const serverFields = {
  current_password: ["current", t.passwords.currentPassword],
  new_password: ["next", t.passwords.newPassword],
} as const satisfies Record<string, readonly [Field, string]>;

interface ChangePasswordDialogProps {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  onChanged: () => void;
}

/**
 * ChangePasswordDialog changes the signed-in local user's own password
 * (AU-17). The rules in force are listed up front; each rule the server
 * finds broken (google.rpc.BadRequest) is shown next to its field, and the
 * two new entries must match before anything is sent.
 */
export default function ChangePasswordDialog({ isOpen, onOpenChange, onChanged }: ChangePasswordDialogProps) {
  return (
    <ModalDialog title={t.passwords.submit} isOpen={isOpen} onOpenChange={onOpenChange}>
      {isOpen && <ChangePasswordForm onCancel={() => onOpenChange(false)} onChanged={onChanged} />}
    </ModalDialog>
  );
}

function ChangePasswordForm({ onCancel, onChanged }: { onCancel: () => void; onChanged: () => void }) {
  const requirements = useQuery(UserService.method.getPasswordRequirements);
  const change = useMutation(UserService.method.changeOwnPassword);
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const refs = { current: useRef<HTMLInputElement>(null), next: useRef<HTMLInputElement>(null), confirm: useRef<HTMLInputElement>(null) };

  const edit = (field: Field, set: (v: string) => void) => (value: string) => {
    set(value);
    setErrors(({ [field]: _, ...rest }) => rest as FieldErrors<Field>);
  };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    if (next !== confirm) {
      setErrors({ confirm: [t.passwords.mismatch] });
      refs.confirm.current?.focus();
      return;
    }
    setErrors({});
    try {
      await change.mutateAsync({ currentPassword: current, newPassword: next });
    } catch (err) {
      const e = formErrors(err, serverFields);
      setErrors(e.fields);
      setFormError(e.form);
      if (e.first) {
        refs[e.first].current?.focus();
      }
      return;
    }
    onChanged();
  }

  const req = requirements.data;
  const rules: string[] = [];
  if (req) {
    if (req.minLength > 0) rules.push(t.passwords.minLength(req.minLength));
    if (req.rememberedPasswords > 0) rules.push(t.passwords.reuse(req.rememberedPasswords));
    if (req.strengthCheck) rules.push(t.passwords.strength);
  }

  if (req && !req.canChangePassword) {
    return (
      <>
        <p className="dialog-body">{t.passwords.notLocal}</p>
        <div className="dialog-actions">
          <Button className="button" onPress={onCancel}>
            {t.common.close}
          </Button>
        </div>
      </>
    );
  }

  return (
    <Form className="form" onSubmit={submit} validationErrors={errors}>
      <FormAlert message={formError} />
      <TextInput
        label={t.passwords.currentPassword}
        name="current"
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={edit("current", setCurrent)}
        isRequired
        autoFocus
        inputRef={refs.current}
      />
      <div className="rules" aria-live="polite">
        <span className="rules-title">{t.passwords.rulesTitle}</span>
        {req && rules.length === 0 && <span className="muted"> {t.passwords.noRules}</span>}
        {rules.length > 0 && (
          <ul>
            {rules.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        )}
      </div>
      <PassphraseSuggestion
        onUse={(p) => {
          setNext(p);
          setConfirm(p);
          setErrors({});
        }}
      />
      <TextInput
        label={t.passwords.newPassword}
        name="next"
        type="password"
        autoComplete="new-password"
        value={next}
        onChange={edit("next", setNext)}
        isRequired
        inputRef={refs.next}
      />
      <TextInput
        label={t.passwords.confirmNewPassword}
        name="confirm"
        type="password"
        autoComplete="new-password"
        value={confirm}
        onChange={edit("confirm", setConfirm)}
        isRequired
        inputRef={refs.confirm}
      />
      <div className="dialog-actions">
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button type="submit" className="button primary" isPending={change.isPending}>
          {change.isPending ? t.passwords.submitting : t.passwords.submit}
        </Button>
      </div>
    </Form>
  );
}
