// A labelled drop-down on react-aria-components' Select: a button that
// opens a list box, usable with the keyboard and announced as a select.

import type { ReactNode } from "react";
import { Button, Label, ListBox, ListBoxItem, Popover, Select, SelectValue, Text, type Key } from "react-aria-components";

export interface SelectOption {
  id: string;
  label: string;
}

interface SelectFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly SelectOption[];
  description?: ReactNode;
  isDisabled?: boolean;
  /** Hide the label visually (it still names the field). */
  hideLabel?: boolean;
  className?: string;
}

/** SelectField is a labelled single-choice drop-down. */
export function SelectField({ label, value, onChange, options, description, isDisabled, hideLabel, className }: SelectFieldProps) {
  return (
    <Select
      className={`field select-field${className ? ` ${className}` : ""}`}
      value={value}
      onChange={(key: Key | null) => key !== null && onChange(String(key))}
      isDisabled={isDisabled}
    >
      <Label className={hideLabel ? "visually-hidden" : "field-label"}>{label}</Label>
      <Button className="select-button">
        <SelectValue className="select-value" />
        <svg className="chevron" viewBox="0 0 12 12" aria-hidden="true">
          <path d="M3 4.5 6 7.5 9 4.5" />
        </svg>
      </Button>
      {description && (
        <Text slot="description" className="field-help">
          {description}
        </Text>
      )}
      <Popover className="menu-popover select-popover" placement="bottom start">
        <ListBox className="menu" items={options}>
          {(o) => (
            <ListBoxItem id={o.id} className="menu-item" textValue={o.label}>
              {o.label}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </Select>
  );
}
