import { randomUUID } from 'node:crypto';
import type { Canary } from './canary';
import type { ScanHttpClient } from './http-client';
import { rule } from './rules';
import type { ScanConfig } from './scan-config';
import type {
  ApiOperation,
  CheckRecord,
  Finding,
  HttpExchange,
  OwaspClass,
  Severity,
  SourceLocation,
} from './scan.types';
import { sampleValue } from './sample-values.util';

/** A caller of the API: its name, role and the headers that authenticate it. @internal */
export interface Identity {
  name: string;
  role?: string;
  headers: Record<string, string>;
  /** The raw token (without its prefix) when it came from a login or a Bearer header. */
  token?: string;
  tokenHeader?: string;
  tokenPrefix?: string;
}

/** An object the scanner may use as the target of an operation: ids for a path template. @internal */
export interface KnownObject {
  /** Path template up to and including the object's parameter, e.g. `/documents/{id}`. */
  prefix: string;
  params: Record<string, string>;
  owner: string;
  /** Created by the scanner (so destructive probes are allowed on it). */
  created: boolean;
}

/** The caller without credentials. @internal */
export const ANONYMOUS: Identity = { name: 'anonymous', headers: {} };

/**
 * What every check shares: the target, the bounded client, the operations, the identities, the
 * objects the scan knows, and the findings and passed checks collected so far.
 *
 * @internal
 */
export class ScanContext {
  readonly findings: Finding[] = [];
  readonly records: CheckRecord[] = [];
  readonly objects: KnownObject[] = [];
  readonly identities = new Map<string, Identity>();
  victim?: Identity;
  attacker?: Identity;
  low?: Identity;
  high?: Identity;
  /** True while a check that provokes rate limits runs (429s are its evidence, not noise). */
  expectingLimits = false;
  /** 429 answers met outside those checks: refusals that prove nothing about authorization. */
  unexpectedLimits = 0;
  /** A unique marker for this run (canary paths, probe values). */
  readonly runId = randomUUID().slice(0, 8);

  constructor(
    readonly target: URL,
    readonly client: ScanHttpClient,
    readonly config: ScanConfig,
    readonly operations: ApiOperation[],
    readonly options: {
      allowDestructive: boolean;
      fallbackLocation?: SourceLocation;
      canary: Canary;
      defaultCredentials: boolean;
    },
  ) {}

  /** Sends one request as `identity` (its auth headers merged under `headers`). */
  async send(
    identity: Identity,
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<HttpExchange> {
    const exchange = await this.client.send({
      method,
      path,
      headers: { ...identity.headers, ...init.headers },
      body: init.body,
      identity: identity.name,
    });
    if (exchange.response?.status === 429 && !this.expectingLimits) this.unexpectedLimits += 1;
    return exchange;
  }

  /** Records a finding (one per rule and operation; later evidence for the same one is dropped). */
  report(
    ruleId: string,
    input: {
      operation?: ApiOperation;
      operationKey?: string;
      message: string;
      evidence: HttpExchange[];
      severity?: Severity;
    },
  ): void {
    const r = rule(ruleId);
    const opKey = input.operation?.key ?? input.operationKey;
    const fingerprint = `${ruleId}|${opKey ?? '*'}`;
    if (this.findings.some((f) => f.fingerprint === fingerprint)) return;
    this.findings.push({
      fingerprint,
      rule: ruleId,
      owasp: r.owasp,
      severity: input.severity ?? r.severity,
      title: r.title,
      message: input.message,
      operation: opKey,
      location: input.operation?.location ?? this.locationOf(opKey) ?? this.options.fallbackLocation,
      evidence: input.evidence,
    });
  }

  pass(check: string, owasp: OwaspClass, note: string, operation?: ApiOperation): void {
    this.records.push({ check, owasp, status: 'passed', note, operation: operation?.key });
  }

  skip(check: string, owasp: OwaspClass, note: string, operation?: ApiOperation): void {
    this.records.push({ check, owasp, status: 'skipped', note, operation: operation?.key });
  }

  private locationOf(opKey: string | undefined): SourceLocation | undefined {
    return opKey ? this.operations.find((o) => o.key === opKey)?.location : undefined;
  }

  /** The documented operation a sent request belongs to (by method and path template). */
  operationOf(method: string, url: string): ApiOperation | undefined {
    const path = new URL(url).pathname;
    // `/users/me` before `/users/{id}`: the literal path wins.
    return this.operations
      .filter(
        (o) =>
          o.method === method &&
          new RegExp(`^${o.path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`).test(path),
      )
      .sort((a, b) => a.pathParams.length - b.pathParams.length)[0];
  }

  /** Whether the config says never to touch this operation (`/path/*` globs or `METHOD /path`). */
  isExcluded(method: string, path: string): boolean {
    return this.config.exclude.some((pattern) => {
      const [m, p] = pattern.includes(' ') ? pattern.split(/\s+/, 2) : [undefined, pattern];
      if (m && m.toUpperCase() !== method.toUpperCase()) return false;
      const re = new RegExp(
        `^${p
          .replace(/[.+?^$()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\{[^}]+\}/g, '[^/]+')}$`,
      );
      return re.test(path);
    });
  }

  /** Operations the scan may call (not excluded). */
  usable(): ApiOperation[] {
    return this.operations.filter((o) => !this.isExcluded(o.method, o.path));
  }

  /** The object this operation's path parameters can be filled from, owned by `owner`. */
  objectFor(op: ApiOperation, owner: string): KnownObject | undefined {
    if (op.pathParams.length === 0) return undefined;
    return this.objects
      .filter((o) => o.owner === owner && (op.path === o.prefix || op.path.startsWith(`${o.prefix}/`)))
      .sort((a, b) => Number(b.created) - Number(a.created))[0];
  }

  /** The concrete path of `op` on `object` (plus required query parameters), or undefined. */
  pathOn(op: ApiOperation, object?: KnownObject): string | undefined {
    let path = op.path;
    for (const name of op.pathParams) {
      const value = object?.params[name];
      if (value === undefined) return undefined;
      path = path.replace(`{${name}}`, encodeURIComponent(value));
    }
    const query = op.queryParams
      .filter((q) => q.required)
      .map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(String(sampleValue(q.schema, q.name)))}`);
    return query.length ? `${path}?${query.join('&')}` : path;
  }

  /** A request body for `op`: the config's `bodies` entry, else one built from its schema. */
  bodyFor(op: ApiOperation): unknown {
    const configured = this.config.bodies[op.key] ?? this.config.bodies[`${op.method} ${op.path}`];
    if (configured !== undefined) return structuredClone(configured);
    return op.requestSchema ? sampleValue(op.requestSchema) : undefined;
  }

  /** Headers the operation requires (idempotency keys get a fresh value). */
  headersFor(op: ApiOperation): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const h of op.headerParams)
      if (h.required)
        headers[h.name] = /idempotency/i.test(h.name) ? randomUUID() : String(sampleValue(h.schema, h.name));
    if (op.idempotent && !Object.keys(headers).some((h) => /idempotency-key/i.test(h)))
      headers['Idempotency-Key'] = randomUUID();
    return headers;
  }
}
