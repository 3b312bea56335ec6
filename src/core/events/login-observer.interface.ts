/**
 * Sees every reported login outcome (the anomaly signals count failures per IP and per username).
 * Called synchronously from `SecurityEvents`: it must not throw and must do its I/O in the
 * background.
 *
 * @internal
 */
export interface LoginObserver {
  observe(outcome: 'success' | 'failure', ip: string, usernameHash: string, request: unknown): void;
}
