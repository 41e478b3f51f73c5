import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { ServerService } from "@switchboard/client";
import { Button, Form } from "react-aria-components";
import { displayError, formErrors, sentence, type FieldErrors } from "../errors";
import { TextInput } from "../fields";
import { invalidate } from "../session";
import { t } from "../strings";
import { FormAlert, LoadError, Panel, StatusMessage, useFlash } from "../ui";

type Field = "address";

const fields = { address: ["address", t.servers.cdrAddress] } as const satisfies Record<string, readonly [Field, string]>;

/**
 * CdrReceiverPanel sets the CDR receiver address (ST-14 … ST-17), with the
 * server's warnings (e.g. an IP address where an FQDN is recommended).
 */
export function CdrReceiverPanel() {
  const queryClient = useQueryClient();
  const settings = useQuery(ServerService.method.getCdrReceiverSettings, {});
  const save = useMutation(ServerService.method.updateCdrReceiverSettings);
  const [address, setAddress] = useState("");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [flash, setFlash] = useFlash();
  const stored = settings.data?.settings;

  useEffect(() => {
    setAddress(stored?.address ?? "");
  }, [stored?.address]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    try {
      const res = await save.mutateAsync({ address: address.trim() });
      setAddress(res.settings?.address ?? "");
      // Refetch before saying "saved": until the stored settings are read
      // again the "no address is set" banner would stand beside the message.
      await invalidate(queryClient, ServerService.method.getCdrReceiverSettings, ServerService.method.listClusters);
      setFlash(t.servers.cdrSaved);
    } catch (err) {
      const e = formErrors(err, fields);
      setErrors(e.fields);
      setFormError(e.form);
    }
  }

  return (
    <Panel id="cdr-receiver" title={t.servers.cdrTitle} description={t.servers.cdrIntro}>
      <div className="panel-body">
        {settings.error && <LoadError what={t.servers.cdrTitle} reason={displayError(settings.error)} />}
        {stored && !stored.address && <p className="banner banner-warning">{t.servers.cdrNotSet}</p>}
        {stored?.warnings.map((w) => (
          <p key={w} className="banner banner-warning">
            {sentence(w)}
          </p>
        ))}
        <StatusMessage message={flash} />
        <Form className="form inline-form" onSubmit={submit} validationErrors={errors}>
          <FormAlert message={formError} />
          <TextInput label={t.servers.cdrAddress} name="address" value={address} onChange={setAddress} code autoComplete="off" description={t.servers.cdrHelp} />
          <div className="form-actions">
            <Button className="button primary" type="submit" isPending={save.isPending} isDisabled={!settings.data}>
              {t.common.save}
            </Button>
          </div>
        </Form>
      </div>
    </Panel>
  );
}
