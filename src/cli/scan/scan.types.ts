/** Severity of a finding, lowest first in {@link SEVERITIES}. @internal */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** Severities from lowest to highest. @internal */
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Whether `a` is at or above `b`. @internal */
export function atLeast(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b);
}

/** OWASP API Security Top 10 (2023) class. @internal */
export type OwaspClass = 'API1' | 'API2' | 'API3' | 'API4' | 'API5' | 'API6' | 'API7' | 'API8' | 'API9' | 'API10';

/** A position in a repository file, for SARIF and the report. @internal */
export interface SourceLocation {
  /** Repository-relative path, forward slashes. */
  file: string;
  line: number;
}

/** One request the scanner sent and what came back (redacted before any output). @internal */
export interface HttpExchange {
  identity: string;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body: string; truncated: boolean; ms: number };
  /** Transport failure: timeout, connection refused... */
  error?: string;
}

/** An operation of the API under test, from the OpenAPI document or the route inventory. @internal */
export interface ApiOperation {
  /** `METHOD /path/{param}`. */
  key: string;
  method: string;
  /** Path template with `{param}` placeholders. */
  path: string;
  pathParams: string[];
  queryParams: Array<{ name: string; required: boolean; schema?: JsonSchema }>;
  headerParams: Array<{ name: string; required: boolean; schema?: JsonSchema }>;
  requestSchema?: JsonSchema;
  /** The JSON schema of the first 2xx response, when declared. */
  responseSchema?: JsonSchema;
  /** true: declared as requiring authentication; false: declared public; undefined: unknown. */
  secured?: boolean;
  roles: string[];
  /** Permissions the operation requires (`x-rampart-permissions`, the inventory's `permissions`). */
  permissions: string[];
  tags: string[];
  deprecated: boolean;
  sunset?: string;
  idempotent: boolean;
  signed: boolean;
  ownershipParam?: string;
  location?: SourceLocation;
  /** Where the operation came from. */
  origin: 'openapi' | 'inventory';
}

/** A JSON schema as found in OpenAPI documents (already dereferenced). @internal */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  example?: unknown;
  examples?: unknown;
  default?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  readOnly?: boolean;
  additionalProperties?: boolean | JsonSchema;
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  nullable?: boolean;
  [key: string]: unknown;
}

/** A reported problem. @internal */
export interface Finding {
  /** Stable fingerprint: rule, method and path template (no ids, no host). */
  fingerprint: string;
  rule: string;
  owasp: OwaspClass;
  severity: Severity;
  title: string;
  /** What was observed, in one or two sentences. */
  message: string;
  operation?: string;
  location?: SourceLocation;
  evidence: HttpExchange[];
}

/** A check that ran and found nothing, or could not run. @internal */
export interface CheckRecord {
  check: string;
  owasp: OwaspClass;
  status: 'passed' | 'skipped';
  operation?: string;
  note: string;
}
