import { useRef, useState, type FormEvent, type RefObject } from "react";
import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { IdentitySource, Role, UserService, Warning, type Identity, type LocalUser } from "@switchboard/client";
import { Button, Form, SearchField, Input, Label } from "react-aria-components";
import { displayError, formErrors, type FieldErrors } from "../errors";
import { formatUtc } from "../format";
import { roleName } from "../identity";
import { PassphraseSuggestion } from "../passwords";
import { invalidate } from "../session";
import { t } from "../strings";
import { ConfirmDialog, ModalDialog } from "../dialogs";
import { CheckboxInput, RoleChoices, TextInput } from "../fields";
import { Banner, FormAlert, LoadError, PagerControls, StatusMessage, useDebounced, useFlash, usePager } from "../ui";

const pageSize = 25;

/**
 * LocalUsersTab lists local users with search and paging, creates, edits
 * and deletes them (AU-11…AU-16), and warns when no local administrator is
 * left.
 */
export function LocalUsersTab({ identity }: { identity: Identity }) {
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const query = useDebounced(search.trim());
  const pager = usePager();
  const list = useQuery(
    UserService.method.listLocalUsers,
    { search: query, pageSize, pageToken: pager.token },
    { placeholderData: keepPreviousData },
  );
  const remove = useMutation(UserService.method.deleteLocalUser);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<LocalUser | null>(null);
  const [deleting, setDeleting] = useState<LocalUser | null>(null);
  const [flash, setFlash] = useFlash();

  const noLocalAdmin =
    list.data !== undefined &&
    (list.data.warnings.includes(Warning.NO_LOCAL_ADMIN) || list.data.localAdministratorCount === 0);

  async function confirmDelete() {
    if (!deleting) {
      return;
    }
    await remove.mutateAsync({ username: deleting.username });
    setFlash(t.localUsers.deleted(deleting.username));
    await invalidate(queryClient, UserService.method.listLocalUsers);
  }

  const users = list.data?.users ?? [];
  return (
    <div className="tab-content">
      <p className="tab-intro">{t.localUsers.intro}</p>
      {noLocalAdmin && (
        <div role="alert">
          <Banner kind="warning">{t.localUsers.noLocalAdmin}</Banner>
        </div>
      )}
      <StatusMessage message={flash} />
      <div className="toolbar">
        <SearchField
          className="field search-field"
          value={search}
          onChange={(v) => {
            setSearch(v);
            pager.reset();
          }}
        >
          <Label className="visually-hidden">{t.localUsers.searchLabel}</Label>
          <Input placeholder={t.localUsers.searchPlaceholder} />
        </SearchField>
        <Button className="button primary" onPress={() => setCreating(true)}>
          {t.localUsers.create}
        </Button>
      </div>
      <section className="panel flush" aria-label={t.localUsers.caption}>
        {list.error && <LoadError what={t.localUsers.caption} reason={displayError(list.error)} />}
        {list.isPending && <p className="empty">{t.common.loading}</p>}
        {list.data && users.length === 0 && <p className="empty">{query ? t.localUsers.emptySearch : t.localUsers.empty}</p>}
        {users.length > 0 && (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">{t.localUsers.caption}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.localUsers.username}</th>
                  <th scope="col">{t.localUsers.name}</th>
                  <th scope="col">{t.roles.label}</th>
                  <th scope="col">{t.localUsers.lastSignIn}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t.common.actions}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.username}>
                    <td>
                      <span className="strong">{u.username}</span>
                      {u.username === identity.username && identity.source === IdentitySource.LOCAL && (
                        <span className="badge">{t.localUsers.you}</span>
                      )}
                    </td>
                    <td>{[u.firstName, u.lastName].filter(Boolean).join(" ")}</td>
                    <td>{roleName(u.role)}</td>
                    <td className="nowrap">{formatUtc(u.lastSignInTime, t.common.never)}</td>
                    <td className="actions">
                      <Button className="button small" onPress={() => setEditing(u)} aria-label={t.localUsers.editUser(u.username)}>
                        {t.common.edit}
                      </Button>
                      <Button
                        className="button small danger-outline"
                        onPress={() => setDeleting(u)}
                        aria-label={t.localUsers.deleteUser(u.username)}
                      >
                        {t.common.delete}
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data && (
          <PagerControls pager={pager} nextToken={list.data.nextPageToken} shown={users.length} pageSize={pageSize} label={t.localUsers.caption} />
        )}
      </section>

      <ModalDialog title={t.localUsers.createTitle} isOpen={creating} onOpenChange={setCreating}>
        {creating && (
          <CreateUserForm
            onCancel={() => setCreating(false)}
            onCreated={(u) => {
              setCreating(false);
              setFlash(t.localUsers.created(u.username));
              void invalidate(queryClient, UserService.method.listLocalUsers);
            }}
          />
        )}
      </ModalDialog>

      <ModalDialog title={editing ? t.localUsers.editTitle(editing.username) : ""} isOpen={editing !== null} onOpenChange={(o) => !o && setEditing(null)}>
        {editing && (
          <EditUserForm
            user={editing}
            onCancel={() => setEditing(null)}
            onSaved={(u) => {
              setEditing(null);
              setFlash(t.localUsers.updated(u.username));
              void invalidate(queryClient, UserService.method.listLocalUsers);
            }}
          />
        )}
      </ModalDialog>

      <ConfirmDialog
        isOpen={deleting !== null}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={deleting ? t.localUsers.deleteTitle(deleting.username) : ""}
        body={t.localUsers.deleteBody}
        confirmLabel={t.common.delete}
        danger
        onConfirm={confirmDelete}
        displayError={displayError}
      />
    </div>
  );
}

type CreateField = "username" | "firstName" | "lastName" | "role" | "password" | "confirm";

const createFields = {
  username: ["username", t.localUsers.username],
  first_name: ["firstName", t.localUsers.firstName],
  last_name: ["lastName", t.localUsers.lastName],
  role: ["role", t.roles.label],
  password: ["password", t.localUsers.initialPassword],
} as const satisfies Record<string, readonly [CreateField, string]>;

/**
 * CreateUserForm asks for the password twice and refuses to submit when the
 * entries differ, without calling the API (AU-11).
 */
function CreateUserForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (u: LocalUser) => void }) {
  const create = useMutation(UserService.method.createLocalUser);
  const [username, setUsername] = useState("");
  const [firstName, setFirstName] = useState("");
  const [lastName, setLastName] = useState("");
  const [role, setRole] = useState<Role>(Role.VIDEO_OPERATOR);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<FieldErrors<CreateField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const refs: Partial<Record<CreateField, RefObject<HTMLInputElement | null>>> = {
    username: useRef<HTMLInputElement>(null),
    firstName: useRef<HTMLInputElement>(null),
    lastName: useRef<HTMLInputElement>(null),
    password: useRef<HTMLInputElement>(null),
    confirm: useRef<HTMLInputElement>(null),
  };
  const edit = (field: CreateField, set: (v: string) => void) => (v: string) => {
    set(v);
    setErrors(({ [field]: _, ...rest }) => rest as FieldErrors<CreateField>);
  };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    if (password !== confirm) {
      setErrors({ confirm: [t.passwords.mismatch] });
      refs.confirm?.current?.focus();
      return;
    }
    setErrors({});
    try {
      const res = await create.mutateAsync({ username: username.trim(), firstName, lastName, role, password });
      if (res.user) {
        onCreated(res.user);
      }
    } catch (err) {
      const e = formErrors(err, createFields);
      setErrors(e.fields);
      setFormError(e.form);
      if (e.first) {
        refs[e.first]?.current?.focus();
      }
    }
  }

  return (
    <Form className="form" onSubmit={submit} validationErrors={errors}>
      <FormAlert message={formError} />
      <TextInput
        label={t.localUsers.username}
        name="username"
        value={username}
        onChange={edit("username", setUsername)}
        isRequired
        autoFocus
        autoComplete="off"
        description={t.localUsers.usernameHelp}
        inputRef={refs.username}
      />
      <div className="field-row">
        <TextInput label={t.localUsers.firstName} name="firstName" value={firstName} onChange={edit("firstName", setFirstName)} inputRef={refs.firstName} autoComplete="off" />
        <TextInput label={t.localUsers.lastName} name="lastName" value={lastName} onChange={edit("lastName", setLastName)} inputRef={refs.lastName} autoComplete="off" />
      </div>
      <RoleChoices value={role} onChange={setRole} />
      <PassphraseSuggestion
        onUse={(p) => {
          setPassword(p);
          setConfirm(p);
          setErrors({});
        }}
      />
      <div className="field-row">
        <TextInput
          label={t.localUsers.initialPassword}
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={edit("password", setPassword)}
          isRequired
          inputRef={refs.password}
        />
        <TextInput
          label={t.passwords.confirmPassword}
          name="confirm"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={edit("confirm", setConfirm)}
          isRequired
          inputRef={refs.confirm}
        />
      </div>
      <div className="dialog-actions">
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button type="submit" className="button primary" isPending={create.isPending}>
          {t.localUsers.create}
        </Button>
      </div>
    </Form>
  );
}

type EditField = "firstName" | "lastName" | "role" | "password" | "confirm";

const editFields = {
  first_name: ["firstName", t.localUsers.firstName],
  last_name: ["lastName", t.localUsers.lastName],
  role: ["role", t.roles.label],
  password: ["password", t.passwords.newPassword],
} as const satisfies Record<string, readonly [EditField, string]>;

/** EditUserForm changes names and role, and optionally sets a new password (AU-14). */
function EditUserForm({ user, onCancel, onSaved }: { user: LocalUser; onCancel: () => void; onSaved: (u: LocalUser) => void }) {
  const update = useMutation(UserService.method.updateLocalUser);
  const [firstName, setFirstName] = useState(user.firstName);
  const [lastName, setLastName] = useState(user.lastName);
  const [role, setRole] = useState<Role>(user.role);
  const [setPasswordToo, setSetPasswordToo] = useState(false);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<FieldErrors<EditField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const refs: Partial<Record<EditField, RefObject<HTMLInputElement | null>>> = {
    firstName: useRef<HTMLInputElement>(null),
    lastName: useRef<HTMLInputElement>(null),
    password: useRef<HTMLInputElement>(null),
    confirm: useRef<HTMLInputElement>(null),
  };
  const edit = (field: EditField, set: (v: string) => void) => (v: string) => {
    set(v);
    setErrors(({ [field]: _, ...rest }) => rest as FieldErrors<EditField>);
  };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    if (setPasswordToo && password !== confirm) {
      setErrors({ confirm: [t.passwords.mismatch] });
      refs.confirm?.current?.focus();
      return;
    }
    setErrors({});
    try {
      const res = await update.mutateAsync({
        username: user.username,
        firstName,
        lastName,
        role,
        password: setPasswordToo ? password : undefined,
      });
      if (res.user) {
        onSaved(res.user);
      }
    } catch (err) {
      const e = formErrors(err, editFields);
      setErrors(e.fields);
      setFormError(e.form);
      if (e.first) {
        refs[e.first]?.current?.focus();
      }
    }
  }

  return (
    <Form className="form" onSubmit={submit} validationErrors={errors}>
      <FormAlert message={formError} />
      <dl className="facts">
        <dt>{t.localUsers.username}</dt>
        <dd className="strong">{user.username}</dd>
        <dt>{t.localUsers.lastSignIn}</dt>
        <dd>{formatUtc(user.lastSignInTime, t.common.never)}</dd>
      </dl>
      <div className="field-row">
        <TextInput label={t.localUsers.firstName} name="firstName" value={firstName} onChange={edit("firstName", setFirstName)} inputRef={refs.firstName} autoFocus autoComplete="off" />
        <TextInput label={t.localUsers.lastName} name="lastName" value={lastName} onChange={edit("lastName", setLastName)} inputRef={refs.lastName} autoComplete="off" />
      </div>
      <RoleChoices value={role} onChange={setRole} />
      <CheckboxInput isSelected={setPasswordToo} onChange={setSetPasswordToo} description={t.localUsers.setPasswordHelp}>
        {t.localUsers.setPassword}
      </CheckboxInput>
      {setPasswordToo && (
        <>
          <PassphraseSuggestion
            onUse={(p) => {
              setPassword(p);
              setConfirm(p);
              setErrors({});
            }}
          />
          <div className="field-row">
            <TextInput
              label={t.passwords.newPassword}
              name="password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={edit("password", setPassword)}
              isRequired
              inputRef={refs.password}
            />
            <TextInput
              label={t.passwords.confirmPassword}
              name="confirm"
              type="password"
              autoComplete="new-password"
              value={confirm}
              onChange={edit("confirm", setConfirm)}
              isRequired
              inputRef={refs.confirm}
            />
          </div>
        </>
      )}
      <div className="dialog-actions">
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button type="submit" className="button primary" isPending={update.isPending}>
          {t.common.save}
        </Button>
      </div>
    </Form>
  );
}
