import type { DescMethod } from "@bufbuild/protobuf";
import { MutationCache, QueryCache, QueryClient, skipToken, useQuery, type Query } from "@tanstack/react-query";
import { AuthService, Code, ConnectError, Reason, errorReason, isUnauthenticated } from "@switchboard/client";

/**
 * Mutation meta that keeps an Unauthenticated answer from ending the
 * session: SignIn answers Unauthenticated for a wrong password, and
 * SignOut handles it itself.
 */
export const handlesUnauthenticated = { handlesUnauthenticated: true } as const;

interface MethodKey {
  serviceName?: unknown;
  methodName?: unknown;
}

/** isMethodQuery reports whether a connect-query query calls one of methods. */
export function isMethodQuery(query: { queryKey: readonly unknown[] }, ...methods: DescMethod[]): boolean {
  const key = query.queryKey[1] as MethodKey | undefined;
  return methods.some((m) => key?.serviceName === m.parent.typeName && key.methodName === m.name);
}

/** isWhoAmIQuery reports whether query is the AuthService.WhoAmI query that decides the layout. */
export function isWhoAmIQuery(query: { queryKey: readonly unknown[] }): boolean {
  return isMethodQuery(query, AuthService.method.whoAmI);
}

/** invalidate marks the cached results of methods stale, so visible lists reload. */
export function invalidate(queryClient: QueryClient, ...methods: DescMethod[]): Promise<void> {
  return queryClient.invalidateQueries({ predicate: (q) => isMethodQuery(q, ...methods) });
}

// Why the last session ended, kept in the query cache (not in a module
// variable) so it lives exactly as long as the console's query client.
const sessionEndKey = ["switchboard-console", "session-end"] as const;

function isSessionEndQuery(query: { queryKey: readonly unknown[] }): boolean {
  return query.queryKey[0] === sessionEndKey[0] && query.queryKey[1] === sessionEndKey[1];
}

/**
 * useSessionEnd returns why the previous session ended without the user
 * signing out (SESSION_EXPIRED or UNAUTHENTICATED), or null.
 */
export function useSessionEnd(): Reason | null {
  const q = useQuery<Reason | null>({ queryKey: sessionEndKey, queryFn: skipToken, staleTime: Infinity, gcTime: Infinity });
  return q.data ?? null;
}

/** clearSessionEnd forgets why the previous session ended (after a new sign-in). */
export function clearSessionEnd(queryClient: QueryClient): void {
  queryClient.setQueryData(sessionEndKey, null);
}

/**
 * endSession forgets everything the previous session loaded and asks the
 * server again who the caller is. The answer (Unauthenticated) brings back
 * the sign-in page. With a reason (the session ran out or was revoked
 * rather than signed out of), the sign-in page says so.
 */
export async function endSession(queryClient: QueryClient, reason: Reason | null = null): Promise<void> {
  queryClient.setQueryData(sessionEndKey, reason);
  queryClient.removeQueries({ predicate: (q) => !isWhoAmIQuery(q) && !isSessionEndQuery(q) });
  await queryClient.resetQueries({ predicate: isWhoAmIQuery });
}

/**
 * confirmSession reloads WhoAmI after a sign-in and reports whether the
 * server now sees a session, which it only does when the browser kept the
 * session cookie.
 */
export async function confirmSession(queryClient: QueryClient): Promise<boolean> {
  await queryClient.refetchQueries({ predicate: isWhoAmIQuery });
  const whoAmI = queryClient.getQueryCache().findAll({ predicate: isWhoAmIQuery })[0];
  return whoAmI?.state.status === "success";
}

/** The reason a session ended, as the sign-in page tells it. */
function endReason(err: unknown): Reason {
  return errorReason(err) === Reason.SESSION_EXPIRED ? Reason.SESSION_EXPIRED : Reason.UNAUTHENTICATED;
}

const retriedCodes = new Set([Code.Unavailable, Code.Unknown, Code.DeadlineExceeded]);

/**
 * createQueryClient returns the console's query client. Any call that
 * answers Unauthenticated (Connect code 16) ends the session in the console,
 * which returns the user to the sign-in page with a message saying the
 * session ended.
 */
export function createQueryClient(): QueryClient {
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError(err, query: Query<unknown, unknown, unknown, readonly unknown[]>) {
        if (!isUnauthenticated(err)) {
          return;
        }
        if (!isWhoAmIQuery(query)) {
          void endSession(queryClient, endReason(err));
        } else if (query.state.data !== undefined) {
          // WhoAmI answered for a session before (it keeps that data on
          // error): the session ran out under the console, e.g. at the idle
          // timeout. Drop what the session loaded; WhoAmI's error already
          // shows the sign-in page.
          queryClient.setQueryData(sessionEndKey, endReason(err));
          queryClient.removeQueries({ predicate: (q) => !isWhoAmIQuery(q) && !isSessionEndQuery(q) });
        }
      },
    }),
    mutationCache: new MutationCache({
      onError(err, _variables, _context, mutation) {
        if (isUnauthenticated(err) && !mutation.meta?.["handlesUnauthenticated"]) {
          void endSession(queryClient, endReason(err));
        }
      },
    }),
    defaultOptions: {
      queries: {
        // Only transport trouble is worth a second try; every other code is
        // the server's considered answer.
        retry: (failures, err) => failures < 2 && err instanceof ConnectError && retriedCodes.has(err.code),
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false },
    },
  });
  return queryClient;
}
