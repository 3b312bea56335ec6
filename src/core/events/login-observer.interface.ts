import type { SecurityEventInput } from './security-event.interface';

/**
 * Sees every reported failed login (the anomaly signals count failures per IP and per username).
 * Called synchronously from `SecurityEvents`: it must not throw, does its I/O in the background and
 * reports through `emit` (it cannot inject `SecurityEvents`, which injects it).
 *
 * @internal
 */
export interface LoginObserver {
  failed(ip: string, usernameHash: string, request: unknown, emit: (input: SecurityEventInput) => void): void;
}
