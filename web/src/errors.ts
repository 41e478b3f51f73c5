import { errorMessage } from "@switchboard/client";

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
