import { randomBytes } from 'node:crypto';
import { SecurityConfigError } from '../errors/security-config.error';
import type { SecurityEvent } from '../events/security-event.interface';
import { compileIpMatcher } from '../context/client-ip';
import {
  describe,
  optionKeys,
  readBoolean,
  readEnum,
  readNumber,
  readStrictSection,
  readString,
  readStringArray,
  type Raw,
} from './validate.util';

/** Which environment profile the options are for. @publicApi */
export type SecurityProfile = 'development' | 'staging' | 'production';

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
  /**
   * Share of successful authentications reported as `AUTH_SUCCEEDED` (0 to 1). Off by default: on
   * a busy API one event per request floods the log; `0.01` keeps one in a hundred.
   * @default 0
   */
  authSuccessSampleRate?: number;
  /**
   * Key of the HMAC-SHA-256 that hashes usernames in login events (`details.usernameHash`): the
   * same username gives the same hash, so a SIEM can correlate attempts without ever seeing the
   * name. At least 32 characters. Set it (from a secret store) to correlate across instances and
   * restarts; by default a random key is drawn at boot, so hashes correlate within one process only.
   * @default a random 32-byte key per process
   */
  hashKey?: string;
  /**
   * Login anomaly signals: `PASSWORD_SPRAYING_SUSPECTED` when one IP fails to log in as
   * `usernamesPerIp` different usernames within `windowSeconds`, and
   * `CREDENTIAL_STUFFING_SUSPECTED` when one username fails from `ipsPerUsername` different IPs.
   * Counted in the security storage (shared between instances on Redis). `false` turns them off.
   * @default { windowSeconds: 600, usernamesPerIp: 10, ipsPerUsername: 10 }
   */
  anomalies?: LoginAnomalyOptions | false;
}

/** Metrics (OpenTelemetry API) options. @publicApi */
export interface MetricsOptions {
  /**
   * Record metrics through `@opentelemetry/api` when it is installed (a no-op otherwise, and
   * until the app registers an OpenTelemetry MeterProvider).
   * @default true
   */
  enabled?: boolean;
  /**
   * The meter (instrumentation scope) name.
   * @default 'nestjs-rampart'
   */
  meterName?: string;
  /**
   * The OpenTelemetry `MeterProvider` to create the instruments with (an SDK `MeterProvider`).
   * @default the global one (`metrics.getMeterProvider()` of `@opentelemetry/api`)
   */
  meterProvider?: MeterProviderLike;
}

/** What `metrics.meterProvider` must offer: the `MeterProvider` of `@opentelemetry/api`. @publicApi */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown;
}

/** Thresholds of the login anomaly signals. @publicApi */
export interface LoginAnomalyOptions {
  /**
   * The window the distinct usernames and IPs are counted in.
   * @default 600
   */
  windowSeconds?: number;
  /**
   * Distinct usernames failing from one IP that raise `PASSWORD_SPRAYING_SUSPECTED`.
   * @default 10
   */
  usernamesPerIp?: number;
  /**
   * Distinct IPs failing on one username that raise `CREDENTIAL_STUFFING_SUSPECTED`.
   * @default 10
   */
  ipsPerUsername?: number;
}

/**
 * The options every feature shares: the profile, the trusted proxies, request ids, the error
 * format, security events and the boot summary.
 *
 * @publicApi
 */
export interface CoreOptions {
  /**
   * Environment profile. `production` refuses development conveniences (plain-http CORS
   * origins, weak secrets...).
   * @default process.env.NODE_ENV === 'production' ? 'production' : 'development'
   */
  profile?: SecurityProfile;
  /**
   * Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed: IPs, CIDRs, or
   * `loopback`, `private`, `linklocal`. Anyone else's forwarded headers are ignored.
   * @default []
   */
  trustProxy?: string[];
  /** Request id header handling. */
  requestId?: RequestIdOptions;
  /** Error body format. */
  errors?: ErrorOptions;
  /** Security events (audit log). */
  events?: EventOptions;
  /** Metrics through the OpenTelemetry API. */
  metrics?: MetricsOptions;
  /**
   * Log one line at startup (Nest `Logger`, context `SecurityModule`) saying what is on: profile,
   * storage (Redis host and port, never credentials), authentication methods, rate-limit tiers,
   * idempotency, validation.
   * @default true
   */
  logSummary?: boolean;
}

/** The core option keys, checked against {@link CoreOptions} at compile time. @internal */
export const CORE_KEYS = optionKeys<CoreOptions>()([
  'profile',
  'trustProxy',
  'requestId',
  'errors',
  'events',
  'metrics',
  'logSummary',
]);
const METRICS_KEYS = optionKeys<MetricsOptions>()(['enabled', 'meterName', 'meterProvider']);
const REQUEST_ID_KEYS = optionKeys<RequestIdOptions>()(['header', 'trustIncoming']);
const ERROR_KEYS = optionKeys<ErrorOptions>()(['format']);
const EVENT_KEYS = optionKeys<EventOptions>()([
  'enabled',
  'logger',
  'sinks',
  'redactKeys',
  'authSuccessSampleRate',
  'hashKey',
  'anomalies',
]);
const ANOMALY_KEYS = optionKeys<LoginAnomalyOptions>()(['windowSeconds', 'usernamesPerIp', 'ipsPerUsername']);
const PROFILES = ['development', 'staging', 'production'] as const satisfies readonly SecurityProfile[];

/** Resolved event options. @internal */
export interface ResolvedEventOptions {
  enabled: boolean;
  logger: boolean;
  sinks: SecurityEventSink[];
  redactKeys: string[];
  authSuccessSampleRate: number;
  /** The HMAC key for usernames (never logged). */
  hashKey: Buffer;
  anomalies: Required<LoginAnomalyOptions> | false;
}

/** Resolved core options. @internal */
export interface ResolvedCoreOptions {
  profile: SecurityProfile;
  trustProxy: string[];
  requestId: Required<RequestIdOptions>;
  errors: Required<ErrorOptions>;
  events: ResolvedEventOptions;
  metrics: { enabled: boolean; meterName: string; meterProvider?: MeterProviderLike };
  logSummary: boolean;
}

/**
 * What a feature's services read from the injected resolved options: the core options plus the
 * feature's own sections. Features type their `@Inject(SECURITY_OPTIONS)` with it, so none of them
 * depends on the whole options type (which knows every feature).
 *
 * @internal
 */
export type FeatureOptions<Sections> = ResolvedCoreOptions & Readonly<Sections>;

/** Passed to every feature resolver. @internal */
export interface ResolveContext {
  profile: SecurityProfile;
  /** Compiled `trustProxy` matcher. */
  isTrustedProxy: (ip: string) => boolean;
  /**
   * Response headers the features resolved so far add and browser scripts may need to read
   * (CORS exposes them).
   */
  exposedHeaders?: readonly string[];
}

/** An HTTP header name (RFC 9110 token): anything else would make every response throw. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function readHeaderName(raw: Raw, key: string, path: string, fallback: string): string {
  const name = readString(raw, key, path, fallback);
  if (!HEADER_NAME.test(name)) {
    throw SecurityConfigError.create(
      `${path}.${key}`,
      `"${name}" is not a valid HTTP header name`,
      'Use letters, digits and "-", e.g. "X-Request-ID"',
    );
  }
  return name;
}

function readSinks(events: Raw): SecurityEventSink[] {
  const sinks = events.sinks === undefined ? [] : events.sinks;
  if (!Array.isArray(sinks) || sinks.some((s) => typeof s !== 'function')) {
    throw SecurityConfigError.create(
      'events.sinks',
      `must be an array of functions, got ${describe(sinks)}`,
      'Pass e.g. [(event) => shipper.send(event)]',
    );
  }
  // A copy: deep-freezing the resolved options must not freeze (or alias) the caller's array.
  return [...sinks] as SecurityEventSink[];
}

function readMeterProvider(metrics: Raw): MeterProviderLike | undefined {
  const provider = metrics.meterProvider;
  if (provider === undefined) return undefined;
  if (
    typeof provider !== 'object' ||
    provider === null ||
    typeof (provider as MeterProviderLike).getMeter !== 'function'
  ) {
    throw SecurityConfigError.create(
      'metrics.meterProvider',
      `must be an OpenTelemetry MeterProvider (with getMeter()), got ${describe(provider)}`,
      'Pass e.g. new MeterProvider({ readers: [...] }) from @opentelemetry/sdk-metrics, or leave it out to use the global one',
    );
  }
  return provider as MeterProviderLike;
}

function readHashKey(events: Raw): Buffer {
  const key = readString(events, 'hashKey', 'events');
  if (key === undefined) return randomBytes(32);
  if (key.length < 32) {
    throw SecurityConfigError.create(
      'events.hashKey',
      `is ${key.length} characters long, under 32`,
      'Use a random secret of at least 32 characters, e.g. `openssl rand -base64 32`',
    );
  }
  return Buffer.from(key, 'utf8');
}

function readAnomalies(events: Raw): Required<LoginAnomalyOptions> | false {
  if (events.anomalies === false) return false;
  const raw = readStrictSection(events.anomalies, ANOMALY_KEYS, 'events.anomalies');
  const count = { min: 2, max: 10_000, integer: true };
  return {
    windowSeconds: readNumber(raw, 'windowSeconds', 'events.anomalies', 600, {
      min: 1,
      max: 86_400,
      integer: true,
      unit: 'seconds',
    }),
    usernamesPerIp: readNumber(raw, 'usernamesPerIp', 'events.anomalies', 10, count),
    ipsPerUsername: readNumber(raw, 'ipsPerUsername', 'events.anomalies', 10, count),
  };
}

/** Validates the core options once at boot. @internal */
export function resolveCoreOptions(raw: Raw): ResolvedCoreOptions {
  const defaultProfile: SecurityProfile = process.env.NODE_ENV === 'production' ? 'production' : 'development';
  const requestId = readStrictSection(raw.requestId, REQUEST_ID_KEYS, 'requestId');
  const errors = readStrictSection(raw.errors, ERROR_KEYS, 'errors');
  const events = readStrictSection(raw.events, EVENT_KEYS, 'events');
  const metrics = readStrictSection(raw.metrics, METRICS_KEYS, 'metrics');
  return {
    profile: readEnum(raw, 'profile', '', PROFILES, defaultProfile),
    trustProxy: readStringArray(raw, 'trustProxy', '', []),
    requestId: {
      header: readHeaderName(requestId, 'header', 'requestId', 'X-Request-ID').toLowerCase(),
      trustIncoming: readBoolean(requestId, 'trustIncoming', 'requestId', true),
    },
    errors: { format: readEnum(errors, 'format', 'errors', ['nest', 'problem+json'], 'nest') },
    events: {
      enabled: readBoolean(events, 'enabled', 'events', true),
      logger: readBoolean(events, 'logger', 'events', true),
      sinks: readSinks(events),
      redactKeys: readStringArray(events, 'redactKeys', 'events', []).map((k) => k.toLowerCase()),
      authSuccessSampleRate: readNumber(events, 'authSuccessSampleRate', 'events', 0, { min: 0, max: 1 }),
      hashKey: readHashKey(events),
      anomalies: readAnomalies(events),
    },
    metrics: {
      enabled: readBoolean(metrics, 'enabled', 'metrics', true),
      meterName: readString(metrics, 'meterName', 'metrics', 'nestjs-rampart'),
      meterProvider: readMeterProvider(metrics),
    },
    logSummary: readBoolean(raw, 'logSummary', '', true),
  };
}

/** The context feature resolvers get, from the resolved core options. @internal */
export function createResolveContext(core: ResolvedCoreOptions): ResolveContext {
  return {
    profile: core.profile,
    isTrustedProxy: compileIpMatcher(core.trustProxy, 'trustProxy'),
    exposedHeaders: [],
  };
}
