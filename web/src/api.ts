/**
 * apiBaseUrl is where the API is: the server serves the console and the API
 * on one origin.
 */
export function apiBaseUrl(): string {
  return window.location.origin;
}
