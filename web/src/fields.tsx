// Labelled form fields on react-aria-components: labels, help text and
// errors are wired to their inputs (aria-describedby), and server errors
// from a Form's validationErrors show next to the field they name.

import { useId, type ReactNode, type RefObject } from "react";
import {
  Checkbox,
  FieldError,
  Input,
  Label,
  NumberField,
  Radio,
  RadioGroup,
  Text,
  TextArea,
  TextField,
  type TextFieldProps,
} from "react-aria-components";
import { Role } from "@switchboard/client";
import { t } from "./strings";

/** FieldMessages renders a field's errors, one per line when there are several. */
function FieldMessages() {
  return (
    <FieldError className="field-error">
      {({ validationErrors }) =>
        validationErrors.length > 1 ? (
          <ul className="field-error-list">
            {validationErrors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        ) : (
          validationErrors[0]
        )
      }
    </FieldError>
  );
}

interface TextInputProps extends Omit<TextFieldProps, "children" | "className"> {
  label: string;
  description?: ReactNode;
  placeholder?: string;
  inputRef?: RefObject<HTMLInputElement | null>;
  /** Monospace input, for DNs, attribute names and secrets. */
  code?: boolean;
}

/** TextInput is a labelled single-line text field with help text and errors. */
export function TextInput({ label, description, placeholder, inputRef, code, ...props }: TextInputProps) {
  return (
    <TextField className="field" {...props}>
      <Label>{label}</Label>
      <Input ref={inputRef} placeholder={placeholder} className={code ? "code" : undefined} spellCheck={false} />
      {description && (
        <Text slot="description" className="field-help">
          {description}
        </Text>
      )}
      <FieldMessages />
    </TextField>
  );
}

interface TextAreaInputProps extends Omit<TextFieldProps, "children" | "className"> {
  label: string;
  description?: ReactNode;
  rows?: number;
  /** Shows a live character counter against this limit. */
  limit?: number;
  code?: boolean;
}

/**
 * TextAreaInput is a labelled multi-line text field. With a limit it shows
 * a live character counter (characters as people count them, i.e. code
 * points, as the server does), and a text over the limit is refused next
 * to the field before anything is sent.
 */
export function TextAreaInput({ label, description, rows = 4, limit, code, ...props }: TextAreaInputProps) {
  const length = [...(props.value ?? "")].length;
  const over = limit !== undefined && length > limit;
  return (
    <TextField
      className="field"
      {...props}
      validate={(value) => (limit !== undefined && [...value].length > limit ? t.common.tooLong(label, limit) : null)}
    >
      <Label>{label}</Label>
      <TextArea rows={rows} className={code ? "code" : undefined} spellCheck={!code} />
      <div className="field-foot">
        {description && (
          <Text slot="description" className="field-help">
            {description}
          </Text>
        )}
        {limit !== undefined && (
          <span className={over ? "counter counter-over" : "counter"} aria-live="polite">
            {over ? t.common.charactersOver(length - limit) : t.common.characters(length, limit)}
          </span>
        )}
      </div>
      <FieldMessages />
    </TextField>
  );
}

interface NumberInputProps {
  label: string;
  name: string;
  value: number;
  onChange: (value: number) => void;
  minValue?: number;
  maxValue?: number;
  description?: ReactNode;
  isDisabled?: boolean;
  isRequired?: boolean;
  placeholder?: string;
}

/** NumberInput is a labelled whole-number field; an empty field is NaN. */
export function NumberInput({ label, description, placeholder, ...props }: NumberInputProps) {
  return (
    <NumberField className="field field-number" step={1} formatOptions={{ useGrouping: false, maximumFractionDigits: 0 }} {...props}>
      <Label>{label}</Label>
      <Input placeholder={placeholder} />
      {description && (
        <Text slot="description" className="field-help">
          {description}
        </Text>
      )}
      <FieldMessages />
    </NumberField>
  );
}

interface CheckboxInputProps {
  children: ReactNode;
  isSelected: boolean;
  onChange: (selected: boolean) => void;
  isDisabled?: boolean;
  description?: ReactNode;
  name?: string;
}

/** CheckboxInput is a checkbox with its label and optional help below. */
export function CheckboxInput({ children, description, ...props }: CheckboxInputProps) {
  const helpId = useId();
  return (
    <div className="checkbox-field">
      <Checkbox className="checkbox" {...props} aria-describedby={description ? helpId : undefined}>
        <span className="checkbox-box" aria-hidden="true">
          <svg viewBox="0 0 18 18">
            <polyline points="3.5 9.5 7.5 13 14.5 5" />
          </svg>
        </span>
        <span>{children}</span>
      </Checkbox>
      {description && (
        <p className="field-help checkbox-help" id={helpId}>
          {description}
        </p>
      )}
    </div>
  );
}

export interface Choice<V extends string> {
  value: V;
  label: string;
  description?: string;
  /** The choice is shown but cannot be picked. */
  isDisabled?: boolean;
}

interface ChoicesProps<V extends string> {
  label: string;
  value: V;
  onChange: (value: V) => void;
  choices: readonly Choice<V>[];
  name?: string;
  orientation?: "horizontal" | "vertical";
  isDisabled?: boolean;
}

/** Choices is a labelled radio group. */
export function Choices<V extends string>({ label, value, onChange, choices, orientation = "vertical", ...props }: ChoicesProps<V>) {
  return (
    <RadioGroup
      className={`field radio-group radio-${orientation}`}
      value={value}
      onChange={(v) => onChange(v as V)}
      orientation={orientation}
      {...props}
    >
      <Label className="field-label">{label}</Label>
      <div className="radio-options">
        {choices.map((c) => (
          <Radio key={c.value} value={c.value} className="radio" isDisabled={c.isDisabled}>
            <span className="radio-dot" aria-hidden="true" />
            <span className="radio-text">
              <span>{c.label}</span>
              {c.description && <span className="radio-help">{c.description}</span>}
            </span>
          </Radio>
        ))}
      </div>
      <FieldMessages />
    </RadioGroup>
  );
}

const roleChoices: readonly Choice<"admin" | "operator">[] = [
  { value: "operator", label: t.roles.operator, description: t.roles.operatorHelp },
  { value: "admin", label: t.roles.administrator, description: t.roles.administratorHelp },
];

/** RoleChoices picks one of the two roles. */
export function RoleChoices({ value, onChange, name = "role" }: { value: Role; onChange: (role: Role) => void; name?: string }) {
  return (
    <Choices
      label={t.roles.label}
      name={name}
      value={value === Role.ADMINISTRATOR ? "admin" : "operator"}
      onChange={(v) => onChange(v === "admin" ? Role.ADMINISTRATOR : Role.VIDEO_OPERATOR)}
      choices={roleChoices}
    />
  );
}

