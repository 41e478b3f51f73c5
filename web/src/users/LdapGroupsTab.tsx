import { useId, useRef, useState, type FormEvent } from "react";
import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { Role, UserService, Warning, type LdapGroup } from "@switchboard/client";
import { Button, Form, Input, Label, SearchField, TextField } from "react-aria-components";
import { displayError, formErrors, type FieldErrors } from "../errors";
import { formatUtc } from "../format";
import { roleName } from "../identity";
import { apiBaseUrl } from "../api";
import { invalidate } from "../session";
import { t } from "../strings";
import { ConfirmDialog, ModalDialog } from "../dialogs";
import { RoleChoices, TextInput } from "../fields";
import { Banner, FormAlert, LoadError, PagerControls, StatusMessage, useDebounced, useFlash, usePager } from "../ui";

const pageSize = 25;
const memberPageSize = 20;

/**
 * LdapGroupsTab maps directory groups to roles (AU-34…AU-38): add a group
 * by DN after checking that it exists and seeing who is in it, change its
 * role, delete it.
 */
export function LdapGroupsTab() {
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const query = useDebounced(search.trim());
  const pager = usePager();
  const list = useQuery(UserService.method.listLdapGroups, { search: query, pageSize, pageToken: pager.token }, { placeholderData: keepPreviousData });
  const remove = useMutation(UserService.method.deleteLdapGroup);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<LdapGroup | null>(null);
  const [viewing, setViewing] = useState<LdapGroup | null>(null);
  const [deleting, setDeleting] = useState<LdapGroup | null>(null);
  const [flash, setFlash] = useFlash(10_000);
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const [addedLink, setAddedLink] = useState<{ dn: string; link: string } | null>(null);

  async function confirmDelete() {
    if (!deleting) {
      return;
    }
    const res = await remove.mutateAsync({ id: deleting.id });
    setWarnings(res.warnings);
    setFlash(t.ldapGroups.deleted);
    await invalidate(queryClient, UserService.method.listLdapGroups);
  }

  const groups = list.data?.groups ?? [];
  return (
    <div className="tab-content">
      <p className="tab-intro">{t.ldapGroups.intro}</p>
      {warnings.includes(Warning.EDIT_AS_LOCAL_ADMIN_RECOMMENDED) && <Banner kind="warning">{t.warnings.editAsLocalAdmin}</Banner>}
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
          <Label className="visually-hidden">{t.ldapGroups.searchLabel}</Label>
          <Input placeholder={t.ldapGroups.searchPlaceholder} />
        </SearchField>
        <Button className="button primary" onPress={() => setAdding(true)}>
          {t.ldapGroups.add}
        </Button>
      </div>
      <section className="panel flush" aria-label={t.ldapGroups.caption}>
        {list.error && <LoadError what={t.ldapGroups.caption} reason={displayError(list.error)} />}
        {list.isPending && <p className="empty">{t.common.loading}</p>}
        {list.data && groups.length === 0 && <p className="empty">{query ? t.ldapGroups.emptySearch : t.ldapGroups.empty}</p>}
        {groups.length > 0 && (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">{t.ldapGroups.caption}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.ldapGroups.dn}</th>
                  <th scope="col">{t.roles.label}</th>
                  <th scope="col">{t.ldapGroups.updatedAt}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t.common.actions}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {groups.map((g) => (
                  <tr key={String(g.id)}>
                    <td className="mono break">{g.dn}</td>
                    <td>{roleName(g.role)}</td>
                    <td className="nowrap">{formatUtc(g.updateTime)}</td>
                    <td className="actions">
                      <Button className="button small" onPress={() => setViewing(g)} aria-label={t.ldapGroups.viewUsersOf(g.dn)}>
                        {t.ldapGroups.viewUsers}
                      </Button>
                      <Button className="button small" onPress={() => setEditing(g)} aria-label={t.ldapGroups.editGroup(g.dn)}>
                        {t.common.edit}
                      </Button>
                      <Button className="button small danger-outline" onPress={() => setDeleting(g)} aria-label={t.ldapGroups.deleteGroup(g.dn)}>
                        {t.common.delete}
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data && <PagerControls pager={pager} nextToken={list.data.nextPageToken} shown={groups.length} pageSize={pageSize} label={t.ldapGroups.caption} />}
      </section>

      <ModalDialog title={t.ldapGroups.addTitle} isOpen={adding} onOpenChange={setAdding} wide>
        {adding && (
          <GroupForm
            onCancel={() => setAdding(false)}
            onSaved={(g, w, link) => {
              setAdding(false);
              setWarnings(w);
              // AU-37: the server gives the console's address at the CDR
              // receiver address; without one, the address this console is
              // open at is the best there is.
              if (link) {
                setAddedLink({ dn: g.dn, link });
              } else {
                setFlash(t.ldapGroups.added(g.dn, apiBaseUrl()));
              }
              void invalidate(queryClient, UserService.method.listLdapGroups);
            }}
          />
        )}
      </ModalDialog>

      <ModalDialog title={t.ldapGroups.addedTitle} isOpen={addedLink !== null} onOpenChange={(o) => !o && setAddedLink(null)}>
        {addedLink && <SignInLink dn={addedLink.dn} link={addedLink.link} onDone={() => setAddedLink(null)} />}
      </ModalDialog>

      <ModalDialog title={t.ldapGroups.editTitle} isOpen={editing !== null} onOpenChange={(o) => !o && setEditing(null)} wide>
        {editing && (
          <GroupForm
            group={editing}
            onCancel={() => setEditing(null)}
            onSaved={(_, w) => {
              setEditing(null);
              setWarnings(w);
              setFlash(t.ldapGroups.updated);
              void invalidate(queryClient, UserService.method.listLdapGroups);
            }}
          />
        )}
      </ModalDialog>

      <ModalDialog title={t.ldapGroups.membersTitle} isOpen={viewing !== null} onOpenChange={(o) => !o && setViewing(null)} wide isDismissable>
        {viewing && (
          <>
            <p className="mono break dialog-subtitle">{viewing.dn}</p>
            <GroupMembers dn={viewing.dn} />
            <div className="dialog-actions">
              <Button className="button" slot="close">
                {t.common.close}
              </Button>
            </div>
          </>
        )}
      </ModalDialog>

      <ConfirmDialog
        isOpen={deleting !== null}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={t.ldapGroups.deleteTitle}
        body={t.ldapGroups.deleteBody(deleting?.dn ?? "")}
        confirmLabel={t.common.delete}
        danger
        onConfirm={confirmDelete}
        displayError={displayError}
      />
    </div>
  );
}

type GroupField = "dn" | "role";

const groupFields = {
  dn: ["dn", t.ldapGroups.dn],
  role: ["role", t.roles.label],
} as const satisfies Record<string, readonly [GroupField, string]>;

interface GroupFormProps {
  /** The mapping to edit; absent to add one. */
  group?: LdapGroup;
  onCancel: () => void;
  onSaved: (group: LdapGroup, warnings: Warning[], signInLink?: string) => void;
}

/** GroupForm adds or edits a mapping, with Check and View users before saving (AU-35, AU-36). */
function GroupForm({ group, onCancel, onSaved }: GroupFormProps) {
  const create = useMutation(UserService.method.createLdapGroup);
  const update = useMutation(UserService.method.updateLdapGroup);
  const [dn, setDn] = useState(group?.dn ?? "");
  const [role, setRole] = useState<Role>(group?.role ?? Role.VIDEO_OPERATOR);
  const [errors, setErrors] = useState<FieldErrors<GroupField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [checkedDn, setCheckedDn] = useState<string | null>(null);
  const [membersDn, setMembersDn] = useState<string | null>(null);
  const dnRef = useRef<HTMLInputElement>(null);
  const check = useQuery(UserService.method.checkLdapGroup, { dn: checkedDn ?? "" }, { enabled: checkedDn !== null, retry: false });

  function onDnChange(value: string) {
    setDn(value);
    setErrors({});
    setCheckedDn(null);
    setMembersDn(null);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    setErrors({});
    try {
      if (group) {
        const res = await update.mutateAsync({ id: group.id, dn: dn.trim(), role });
        if (res.group) onSaved(res.group, res.warnings);
      } else {
        const res = await create.mutateAsync({ dn: dn.trim(), role });
        if (res.group) onSaved(res.group, res.warnings, res.signInLink);
      }
    } catch (err) {
      const e = formErrors(err, groupFields);
      setErrors(e.fields);
      setFormError(e.form);
      if (e.first === "dn") {
        dnRef.current?.focus();
      }
    }
  }

  const trimmed = dn.trim();
  return (
    <Form className="form" onSubmit={submit} validationErrors={errors}>
      <FormAlert message={formError} />
      <TextInput
        label={t.ldapGroups.dn}
        name="dn"
        value={dn}
        onChange={onDnChange}
        isRequired
        autoFocus
        code
        autoComplete="off"
        description={t.ldapGroups.dnHelp}
        inputRef={dnRef}
      />
      <div className="inline-actions">
        <Button className="button small" isDisabled={!trimmed} onPress={() => setCheckedDn(trimmed)} isPending={check.isFetching}>
          {check.isFetching ? t.ldapGroups.checking : t.ldapGroups.check}
        </Button>
        <Button className="button small" isDisabled={!trimmed} onPress={() => setMembersDn(trimmed)}>
          {t.ldapGroups.viewUsers}
        </Button>
        <div className="inline-result" role="status" aria-live="polite">
          {checkedDn !== null && check.data && (
            <span className={check.data.found ? "result-ok" : "result-bad"}>
              {check.data.found ? t.ldapGroups.found(check.data.directMemberCount) : t.ldapGroups.notFound}
            </span>
          )}
          {checkedDn !== null && check.error && <span className="result-bad">{displayError(check.error)}</span>}
        </div>
      </div>
      {membersDn !== null && <GroupMembers dn={membersDn} />}
      <RoleChoices value={role} onChange={setRole} />
      <div className="dialog-actions">
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button type="submit" className="button primary" isPending={create.isPending || update.isPending}>
          {group ? t.common.save : t.ldapGroups.add}
        </Button>
      </div>
    </Form>
  );
}

/** GroupMembers pages through the sign-in usernames of a group, nested groups included. */
function GroupMembers({ dn }: { dn: string }) {
  const pager = usePager();
  const members = useQuery(UserService.method.listLdapGroupMembers, { dn, pageSize: memberPageSize, pageToken: pager.token }, { retry: false, placeholderData: keepPreviousData });
  if (members.isPending) {
    return <p className="muted">{t.common.loading}</p>;
  }
  if (members.error) {
    return (
      <p className="banner banner-error" role="alert">
        {displayError(members.error)}
      </p>
    );
  }
  const data = members.data;
  return (
    <div className="members">
      {data.truncated && <Banner kind="warning">{t.ldapGroups.membersTruncated}</Banner>}
      {data.members.length === 0 ? (
        <p className="muted">{t.ldapGroups.noMembers}</p>
      ) : (
        <>
          <p className="muted">{t.ldapGroups.membersTotal(data.totalCount)}</p>
          <div className="table-wrap">
            <table className="table compact">
              <caption className="visually-hidden">{t.ldapGroups.membersCaption}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.ldapGroups.memberUsername}</th>
                  <th scope="col">{t.ldapGroups.memberName}</th>
                  <th scope="col">{t.ldapGroups.memberDn}</th>
                </tr>
              </thead>
              <tbody>
                {data.members.map((m) => (
                  <tr key={m.dn}>
                    <td className="strong">{m.username}</td>
                    <td>{m.displayName}</td>
                    <td className="mono break muted">{m.dn}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <PagerControls pager={pager} nextToken={data.nextPageToken} shown={data.members.length} pageSize={memberPageSize} label={t.ldapGroups.membersCaption} />
        </>
      )}
    </div>
  );
}

/** SignInLink shows where a new group's members sign in (AU-37), with a copy button. */
function SignInLink({ dn, link, onDone }: { dn: string; link: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const noteId = useId();

  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(t.tokens.copied);
    } catch {
      input.current?.select();
      setCopied(t.ldapGroups.linkCopyFailed);
    }
  }

  return (
    <div className="form">
      <p className="dialog-body-text">{t.ldapGroups.addedBody(dn)}</p>
      <TextField className="field" value={link} isReadOnly aria-describedby={noteId}>
        <Label>{t.ldapGroups.signInLinkLabel}</Label>
        <div className="secret-row">
          <Input ref={input} className="code" data-testid="sign-in-link" onFocus={(e) => e.currentTarget.select()} />
          <Button className="button" onPress={() => void copy()}>
            {t.tokens.copy}
          </Button>
        </div>
      </TextField>
      <p className="field-help" id={noteId}>
        {t.ldapGroups.signInLinkNote}
      </p>
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
