import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { AuthService, Code, ConnectError, isUnauthenticated } from "@switchboard/client";

/**
 * Mutation meta that keeps an Unauthenticated answer from ending the
 * session: SignIn answers Unauthenticated for a wrong password, and
 * SignOut handles it itself.
 */
export const handlesUnauthenticated = { handlesUnauthenticated: true } as const;

/** isWhoAmIQuery reports whether query is the AuthService.WhoAmI query that decides the layout. */
export function isWhoAmIQuery(query: { queryKey: readonly unknown[] }): boolean {
  const key = query.queryKey[1] as { serviceName?: unknown; methodName?: unknown } | undefined;
  return key?.serviceName === AuthService.typeName && key.methodName === AuthService.method.whoAmI.name;
}

/**
 * endSession forgets everything the previous session loaded and asks the
 * server again who the caller is. The answer (Unauthenticated) brings back
 * the sign-in page.
 */
export async function endSession(queryClient: QueryClient): Promise<void> {
  queryClient.removeQueries({ predicate: (q) => !isWhoAmIQuery(q) });
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

const retriedCodes = new Set([Code.Unavailable, Code.Unknown, Code.DeadlineExceeded]);

/**
 * createQueryClient returns the console's query client. Any call that
 * answers Unauthenticated (Connect code 16) ends the session in the console,
 * which returns the user to the sign-in page.
 */
export function createQueryClient(): QueryClient {
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError(err, query) {
        if (isUnauthenticated(err) && !isWhoAmIQuery(query)) {
          void endSession(queryClient);
        }
      },
    }),
    mutationCache: new MutationCache({
      onError(err, _variables, _context, mutation) {
        if (isUnauthenticated(err) && !mutation.meta?.["handlesUnauthenticated"]) {
          void endSession(queryClient);
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
