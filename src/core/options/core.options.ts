import type { SecurityStorage } from '../../storage/security-storage.interface';
import type { SecurityEvent } from '../events/security-event.interface';

/** Which environment profile the options are for. @publicApi */
export type SecurityProfile = 'development' | 'staging' | 'production';

/** The embedded store for one instance. @publicApi */
export interface MemoryStorageOptions {
  type: 'memory';
  /**
   * Most entries held; past it, expired entries are evicted first, then the least recently
   * written (or incremented).
   * @default 100000
   */
  maxEntries?: number;
}

/** A Redis store, shared by every instance of the app. Needs the optional peer `ioredis`. @publicApi */
export interface RedisStorageOptions {
  type: 'redis';
  /** `redis://…` URL; SecurityModule creates the client and closes it on shutdown. */
  url?: string;
  /**
   * An existing ioredis `Redis` or `Cluster` client (checked at boot for `evalsha`, `eval`, `get`
   * and `on`); never closed by SecurityModule.
   */
  client?: unknown;
  /**
   * Prefix of every key (outside the `{…}` hash tag, so it may not contain `{` or `}`).
   * @default 'rampart:'
   */
  keyPrefix?: string;
  /**
   * A command slower than this fails with a storage error, so no request hangs on Redis.
   * @default 75
   */
  commandTimeoutMs?: number;
}

/** Request id handling. @publicApi */
export interface RequestIdOptions {
  /**
   * Header read from the request (when well formed) and echoed on the response. Must be a valid
   * HTTP header name.
   * @default 'X-Request-ID'
   */
  header?: string;
  /**
   * Whether a well-formed incoming id is kept. Turn off when clients are untrusted and
   * ids must be unique.
   * @default true
   */
  trustIncoming?: boolean;
}

/** Error body format. @publicApi */
export interface ErrorOptions {
  /**
   * `nest`: `{ statusCode, error, message, code, requestId }`.
   * `problem+json`: RFC 9457 `application/problem+json` with the same `code` and `requestId`.
   * @default 'nest'
   */
  format?: 'nest' | 'problem+json';
}

/**
 * A destination for security events. It may be async (a `void` return type accepts a promise): a
 * rejected promise is caught (and logged once), never left unhandled.
 *
 * @publicApi
 */
export type SecurityEventSink = (event: SecurityEvent) => void;

/** Security event (audit log) options. @publicApi */
export interface EventOptions {
  /**
   * Whether events are produced at all.
   * @default true
   */
  enabled?: boolean;
  /**
   * Write each event as one JSON line to Nest's logger, context `SecurityEvents`.
   * @default true
   */
  logger?: boolean;
  /**
   * Extra sinks (SIEM shipper, database, test collector), sync or async. A sink that throws or
   * rejects is ignored, and its first failure is logged (class name only).
   * @default []
   */
  sinks?: SecurityEventSink[];
  /**
   * Extra field names (case-insensitive) whose values are redacted in events, on top of
   * passwords, secrets, tokens, keys, cookies and signatures.
   * @default []
   */
  redactKeys?: string[];
}

/** Resolved core options. @internal */
export interface ResolvedCoreOptions {
  profile: SecurityProfile;
  storage: MemoryStorageOptions | RedisStorageOptions | SecurityStorage;
  trustProxy: string[];
  requestId: Required<RequestIdOptions>;
  errors: Required<ErrorOptions>;
  events: { enabled: boolean; logger: boolean; sinks: SecurityEventSink[]; redactKeys: string[] };
}
