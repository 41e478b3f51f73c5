import { useQuery } from "@connectrpc/connect-query";
import { UserService } from "@switchboard/client";
import { Button } from "react-aria-components";
import { displayError } from "./errors";
import { t } from "./strings";

/**
 * PassphraseSuggestion offers a passphrase from the server's generator
 * (AU-27) wherever a password is chosen, when the generator is on. "Use"
 * puts it in both password fields.
 */
export function PassphraseSuggestion({ onUse }: { onUse: (passphrase: string) => void }) {
  const requirements = useQuery(UserService.method.getPasswordRequirements, {}, { staleTime: 30_000 });
  const enabled = requirements.data?.passphraseSuggestions === true;
  // A suggestion is a secret in the making: it is not kept after use.
  const suggestion = useQuery(UserService.method.suggestPassphrase, {}, { enabled, staleTime: Infinity, gcTime: 0 });
  if (!enabled) {
    return null;
  }
  return (
    <div className="suggestion" role="group" aria-labelledby="suggestion-label">
      <span className="suggestion-label" id="suggestion-label">
        {t.passwords.suggestion}
      </span>
      {suggestion.error ? (
        <span className="muted">{t.passwords.suggestionUnavailable(displayError(suggestion.error))}</span>
      ) : (
        <code className="suggestion-text" data-testid="passphrase-suggestion" aria-live="polite">
          {suggestion.data?.suggestion ?? t.common.loading}
        </code>
      )}
      <div className="suggestion-actions">
        <Button
          className="button small"
          isDisabled={!suggestion.data?.suggestion}
          onPress={() => suggestion.data && onUse(suggestion.data.suggestion)}
        >
          {t.passwords.useSuggestion}
        </Button>
        <Button className="button small" onPress={() => void suggestion.refetch()} isPending={suggestion.isFetching}>
          {t.passwords.anotherSuggestion}
        </Button>
      </div>
    </div>
  );
}
