import { useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { AllocationType, Feature, LicensingService, type FeatureBox } from "@switchboard/client";
import { Button, Form } from "react-aria-components";
import { ModalDialog } from "../dialogs";
import { formErrors, type FieldErrors } from "../errors";
import { Choices, TextInput } from "../fields";
import { t } from "../strings";
import { FormAlert } from "../ui";
import { tl } from "./strings";

type Field = "pmpPlus" | "smpPlus" | "recording" | "streaming" | "customization";
type CountField = Exclude<Field, "customization">;

// The server's field paths (proto names), in the form's order.
const fields = {
  pmp_plus: ["pmpPlus", tl.types.pmpPlus],
  smp_plus: ["smpPlus", tl.types.smpPlus],
  recording: ["recording", tl.types.recording],
  streaming: ["streaming", tl.types.streaming],
  customization: ["customization", tl.customizationAllocated],
} as const satisfies Record<string, readonly [Field, string]>;

const counts: readonly { field: CountField; type: AllocationType; label: string }[] = [
  { field: "pmpPlus", type: AllocationType.PMP_PLUS, label: tl.types.pmpPlus },
  { field: "smpPlus", type: AllocationType.SMP_PLUS, label: tl.types.smpPlus },
  { field: "recording", type: AllocationType.RECORDING, label: tl.types.recording },
  { field: "streaming", type: AllocationType.STREAMING, label: tl.types.streaming },
];

const blank: Record<CountField, string> = { pmpPlus: "", smpPlus: "", recording: "", streaming: "" };

/** initialCounts reads the current allocations from the boxes. */
function initialCounts(boxes: FeatureBox[]): Record<CountField, string> {
  const out = { ...blank };
  for (const c of counts) {
    for (const b of boxes) {
      const u = b.types.find((x) => x.type === c.type);
      if (u) {
        out[c.field] = String(u.allocated);
      }
    }
  }
  return out;
}

interface AllocationDialogProps {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  boxes: FeatureBox[];
  /** Whether allocations were ever entered: if not, the fields start blank. */
  entered: boolean;
  onSaved: () => Promise<void>;
}

/**
 * AllocationDialog edits the Smart-mode allocations (LI-47, LI-48): every
 * count is a whole number of 0 or more, and a blank is refused here before
 * the server refuses it too; Customization is Yes or No. The server's field
 * violations show on their fields.
 */
export function AllocationDialog({ isOpen, onOpenChange, boxes, entered, onSaved }: AllocationDialogProps) {
  return (
    <ModalDialog title={tl.allocationTitle} isOpen={isOpen} onOpenChange={onOpenChange}>
      {isOpen && <AllocationForm boxes={boxes} entered={entered} onCancel={() => onOpenChange(false)} onSaved={onSaved} />}
    </ModalDialog>
  );
}

function AllocationForm({ boxes, entered, onCancel, onSaved }: { boxes: FeatureBox[]; entered: boolean; onCancel: () => void; onSaved: () => Promise<void> }) {
  const set = useMutation(LicensingService.method.setAllocation);
  // Text, not number fields, whose messages go as soon as the field is
  // edited: were they to go when it loses focus, as react-aria does, the
  // dialog would shrink between the press on Save and its release, and the
  // release would miss the button.
  const [values, setValues] = useState<Record<CountField, string>>(() => (entered ? initialCounts(boxes) : { ...blank }));
  const custBox = boxes.find((b) => b.feature === Feature.CUSTOMIZATION);
  const [customization, setCustomization] = useState<"yes" | "no">(custBox?.customizationAllocated ? "yes" : "no");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const clearError = (f: Field) => setErrors((e) => (e[f] ? { ...e, [f]: undefined } : e));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    // A blank is not zero (LI-48): refused here, next to the field.
    const missing: FieldErrors<Field> = {};
    const n: Record<CountField, number> = { pmpPlus: 0, smpPlus: 0, recording: 0, streaming: 0 };
    for (const c of counts) {
      const v = values[c.field].trim();
      if (v === "") {
        missing[c.field] = [tl.allocationRequired(c.label)];
      } else if (!/^\d+$/.test(v)) {
        missing[c.field] = [tl.allocationWhole(c.label)];
      } else if (Number(v) > 2_147_483_647) {
        // Beyond what the API can carry; smaller excesses are the server's to refuse.
        missing[c.field] = [tl.allocationTooLarge(c.label)];
      } else {
        n[c.field] = Number(v);
      }
    }
    if (Object.keys(missing).length > 0) {
      setErrors(missing);
      return;
    }
    setErrors({});
    try {
      await set.mutateAsync({
        pmpPlus: n.pmpPlus,
        smpPlus: n.smpPlus,
        recording: n.recording,
        streaming: n.streaming,
        customization: customization === "yes",
      });
      await onSaved();
    } catch (err) {
      const e = formErrors(err, fields);
      setErrors(e.fields);
      setFormError(e.form);
    }
  }

  return (
    // Native validation is off: the blank check above words its message
    // the way the specification asks, and server messages land on fields.
    <Form className="form" onSubmit={submit} validationErrors={errors} validationBehavior="aria">
      <div className="dialog-body">
        <p className="muted">{tl.allocationIntro}</p>
        <FormAlert message={formError} />
        <div className="form-row allocation-row">
          {counts.map((c) => (
            <TextInput
              key={c.field}
              label={c.label}
              name={c.field}
              inputMode="numeric"
              value={values[c.field]}
              onChange={(v) => {
                setValues((s) => ({ ...s, [c.field]: v }));
                clearError(c.field);
              }}
            />
          ))}
        </div>
        <Choices
          label={tl.customizationAllocated}
          name="customization"
          orientation="horizontal"
          value={customization}
          onChange={(v) => {
            setCustomization(v);
            clearError("customization");
          }}
          choices={[
            { value: "yes", label: tl.yes },
            { value: "no", label: tl.no },
          ]}
        />
      </div>
      <div className="dialog-actions">
        <Button className="button" onPress={onCancel}>
          {t.common.cancel}
        </Button>
        <Button className="button primary" type="submit" isPending={set.isPending}>
          {set.isPending ? t.common.saving : t.common.save}
        </Button>
      </div>
    </Form>
  );
}
