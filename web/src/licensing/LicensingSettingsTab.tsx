import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { LicensingMode, LicensingService, OverviewService } from "@switchboard/client";
import { Button, Form } from "react-aria-components";
import { Link } from "react-router";
import { displayError, formErrors, type FieldErrors } from "../errors";
import { CheckboxInput, Choices } from "../fields";
import { invalidate } from "../session";
import { t } from "../strings";
import { Banner, FormAlert, LoadError, Panel, StatusMessage, useFlash } from "../ui";
import { modeName } from "./labels";
import { SmartLicensingPanel } from "./SmartLicensingPanel";
import { tl } from "./strings";

type ModeChoice = "" | "smart" | "traditional" | "none";

const toChoice: Partial<Record<LicensingMode, ModeChoice>> = {
  [LicensingMode.SMART]: "smart",
  [LicensingMode.TRADITIONAL]: "traditional",
  [LicensingMode.NONE]: "none",
};

const toMode: Record<Exclude<ModeChoice, "">, LicensingMode> = {
  smart: LicensingMode.SMART,
  traditional: LicensingMode.TRADITIONAL,
  none: LicensingMode.NONE,
};

type Field = "mode" | "acknowledge";

const fields = {
  mode: ["mode", tl.modeChoice],
  acknowledge_other_instance_licenses: ["acknowledge", tl.acknowledge],
} as const satisfies Record<string, readonly [Field, string]>;

/**
 * LicensingSettingsTab is Settings › Licensing (ST-45): the licensing mode
 * (LI-01 … LI-07) and, in Smart mode, Smart Licensing (LI-70 … LI-80). Traditional can be chosen only when a bridge has
 * licence files (LI-04); No licensing needs the acknowledgement that
 * another instance licenses (LI-05). Leaving Smart deregisters from SSM,
 * and the tab says when SSM could not be told (LI-77).
 */
export function LicensingSettingsTab() {
  const queryClient = useQueryClient();
  const mode = useQuery(LicensingService.method.getLicensingMode);
  const set = useMutation(LicensingService.method.setLicensingMode);
  const [choice, setChoice] = useState<ModeChoice>("");
  const [ack, setAck] = useState(false);
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useFlash(8000);
  // Kept until the next save: the administrator must read it.
  const [deregistration, setDeregistration] = useState<"notified" | "not-notified" | null>(null);
  const current = mode.data?.mode ?? LicensingMode.UNSPECIFIED;

  useEffect(() => {
    if (mode.data) {
      setChoice(toChoice[mode.data.mode] ?? "");
    }
  }, [mode.data]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    setDeregistration(null);
    if (choice === "") {
      setErrors({ mode: [tl.modeUnset] });
      return;
    }
    if (choice === "none" && !ack) {
      setErrors({ acknowledge: [tl.acknowledgeRequired] });
      return;
    }
    try {
      const res = await set.mutateAsync({ mode: toMode[choice], acknowledgeOtherInstanceLicenses: choice === "none" && ack });
      if (res.deregistered) {
        setDeregistration(res.ssmNotified ? "notified" : "not-notified");
      }
      setSaved(tl.modeSaved(modeName(res.mode)));
      await invalidate(
        queryClient,
        LicensingService.method.getLicensingMode,
        LicensingService.method.getLicenseDetails,
        LicensingService.method.getLicenseStatus,
        OverviewService.method.getOverview,
      );
    } catch (err) {
      const e = formErrors(err, fields);
      setErrors(e.fields);
      setFormError(e.form);
    }
  }

  const traditionalAvailable = mode.data?.traditionalAvailable ?? false;
  return (
    <div className="tab-content">
      {mode.error && <LoadError what={tl.modeTitle} reason={displayError(mode.error)} />}
      {mode.isPending && <p className="muted">{t.common.loading}</p>}
      {deregistration === "not-notified" && (
        <div role="alert" data-testid="ssm-not-notified">
          <Banner kind="warning">{tl.ssmNotInformed}</Banner>
        </div>
      )}
      {deregistration === "notified" && <Banner kind="info">{tl.deregistered}</Banner>}
      {mode.data && (
        <Panel id="licensing-mode" title={tl.modeTitle} description={tl.modeHelp}>
          <Form className="form" onSubmit={submit} validationErrors={errors} validationBehavior="aria">
            <FormAlert message={formError} />
            <p data-testid="current-mode">
              {tl.modeCurrent(modeName(current))}{" "}
              {(current === LicensingMode.SMART || current === LicensingMode.TRADITIONAL) && <Link to="/licenses">{tl.viewLicenses}</Link>}
            </p>
            <Choices
              label={tl.modeChoice}
              name="mode"
              value={choice}
              onChange={(v) => {
                setChoice(v);
                setErrors({});
              }}
              choices={[
                { value: "smart", label: tl.modeSmart, description: tl.smartHelp },
                {
                  value: "traditional",
                  label: tl.modeTraditional,
                  description: traditionalAvailable ? tl.traditionalHelp : tl.traditionalUnavailable,
                  // The current mode stays selectable, even if no bridge has licence files any more.
                  isDisabled: !traditionalAvailable && current !== LicensingMode.TRADITIONAL,
                },
                { value: "none", label: tl.modeNoneLabel, description: tl.noneHelp },
              ]}
            />
            {choice === "none" && (
              <div className="setting">
                <CheckboxInput
                  isSelected={ack}
                  onChange={(v) => {
                    setAck(v);
                    setErrors({});
                  }}
                  name="acknowledge"
                  description={tl.acknowledgeHelp}
                >
                  {tl.acknowledge}
                </CheckboxInput>
                {errors.acknowledge && (
                  <p className="field-error" role="alert">
                    {errors.acknowledge.join(" ")}
                  </p>
                )}
              </div>
            )}
            <div className="save-bar">
              <Button type="submit" className="button primary" isPending={set.isPending}>
                {set.isPending ? t.common.saving : tl.saveMode}
              </Button>
              <StatusMessage message={saved} />
            </div>
          </Form>
        </Panel>
      )}
      {current === LicensingMode.SMART && (
        <SmartLicensingPanel
          onDeregistered={(notified) => {
            setSaved(null);
            setDeregistration(notified ? "notified" : "not-notified");
          }}
        />
      )}
    </div>
  );
}
