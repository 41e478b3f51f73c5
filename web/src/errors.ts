import { errorMessage, fieldViolations } from "@switchboard/client";

/**
 * displayError returns the text to show for err: the server's message
 * (Connect's rawMessage) as a sentence. Server messages follow Go style and
 * start in lower case.
 */
export function displayError(err: unknown): string {
  return sentence(errorMessage(err));
}

/** sentence starts text with a capital letter. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The messages to show next to each field of a form. */
export type FieldErrors<F extends string> = Partial<Record<F, string[]>>;

/** What a failed call means for a form. */
export interface FormErrors<F extends string> {
  /** Messages next to fields. */
  fields: FieldErrors<F>;
  /** The first field with a message, in the form's order, to move focus to. */
  first: F | undefined;
  /** A message for the form as a whole, or null when every problem has a field. */
  form: string | null;
}

// Server field descriptions are fragments written to follow the field's
// name ("must be at least 12 characters long"); the console puts the
// field's label in front of those, and shows full sentences as they are.
const fragment = /^(is|was|are|has|have|holds|needs|must|contains|does)\b/;

/** violationText turns a server field description into a sentence about the field. */
export function violationText(label: string, description: string): string {
  const text = fragment.test(description) ? `${label} ${description}` : sentence(description);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * formErrors sorts the field violations of err onto a form's fields.
 * `fields` maps each server field path (proto names, e.g.
 * "password_length.min_length") to a form field and its label, in the
 * form's order. Anything without a field, including errors that are not
 * validation errors, becomes the form's message.
 */
export function formErrors<F extends string>(
  err: unknown,
  fields: Record<string, readonly [F, string]>,
): FormErrors<F> {
  const out: FieldErrors<F> = {};
  let unplaced = false;
  for (const v of fieldViolations(err)) {
    const target = fields[v.field];
    if (!target) {
      unplaced = true;
      continue;
    }
    const [field, label] = target;
    (out[field] ??= []).push(violationText(label, v.message));
  }
  const order = Object.values(fields).map(([f]) => f);
  const first = order.find((f) => out[f]);
  return { fields: out, first, form: first === undefined || unplaced ? displayError(err) : null };
}
