import { useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { ServerService, type Cluster } from "@switchboard/client";
import { Button, Form, Switch } from "react-aria-components";
import { formErrors, type FieldErrors } from "../errors";
import { TextInput } from "../fields";
import { t } from "../strings";
import { FormAlert } from "../ui";

type Field = "displayName";

const fields = {
  display_name: ["displayName", t.servers.displayName],
} as const satisfies Record<string, readonly [Field, string]>;

/**
 * ClusterForm edits a cluster's display name (SV-19) and its meeting
 * management switch (SV-20). The server's refusal (e.g. no CDR receiver
 * address when switching it on) is shown as the server words it.
 */
export function ClusterForm({ cluster, onCancel, onSaved }: { cluster: Cluster; onCancel: () => void; onSaved: (c: Cluster) => void }) {
  const update = useMutation(ServerService.method.updateCluster);
  const [name, setName] = useState(cluster.displayName);
  const [manage, setManage] = useState(cluster.meetingManagement);
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    try {
      const res = await update.mutateAsync({
        id: cluster.id,
        displayName: name.trim() !== cluster.displayName ? name.trim() : undefined,
        meetingManagement: manage !== cluster.meetingManagement ? manage : undefined,
      });
      if (res.cluster) onSaved(res.cluster);
    } catch (err) {
      const e = formErrors(err, fields);
      setErrors(e.fields);
      setFormError(e.form);
    }
  }

  return (
    <Form className="form" onSubmit={submit} validationErrors={errors}>
      <FormAlert message={formError} />
      <TextInput label={t.servers.displayName} name="displayName" value={name} onChange={setName} isRequired autoFocus />
      <div className="switch-field">
        <Switch className="switch" isSelected={manage} onChange={setManage} aria-describedby="cluster-manage-help">
          <span className="switch-track" aria-hidden="true">
            <span className="switch-thumb" />
          </span>
          {t.servers.manage}
        </Switch>
        <p className="field-help" id="cluster-manage-help">
          {t.servers.manageHelp}
        </p>
      </div>
      <div className="dialog-actions">
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button className="button primary" type="submit" isPending={update.isPending}>
          {t.common.save}
        </Button>
      </div>
    </Form>
  );
}
