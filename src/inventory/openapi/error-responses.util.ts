import type { ResolvedSecurityOptions } from '../../security.options';
import type { InventoryRecord } from '../security-inventory.service';

/** One error response an operation can answer. @internal */
export interface ErrorResponse {
  status: number;
  description: string;
  headers?: Record<string, unknown>;
}

/** Methods whose requests carry a body (the payload limits answer 413/415 to them). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'ALL']);

const integerHeader = (description: string) => ({ description, schema: { type: 'integer', minimum: 0 } });
const stringHeader = (description: string) => ({ description, schema: { type: 'string' } });

/** The headers of a 429, as the rate-limit guards send them. */
function rateLimitHeaders(options: ResolvedSecurityOptions): Record<string, unknown> {
  const headers: Record<string, unknown> = {
    'Retry-After': integerHeader('Seconds to wait before retrying.'),
  };
  if (options.rateLimit.headers.ietf) {
    headers.RateLimit = stringHeader('Remaining quota per policy, e.g. `"default";r=0;t=17` (IETF draft).');
    headers['RateLimit-Policy'] = stringHeader('The policies in force, e.g. `"default";q=100;w=60` (IETF draft).');
  }
  if (options.rateLimit.headers.legacy) {
    headers['X-RateLimit-Limit'] = integerHeader('Requests allowed in the window.');
    headers['X-RateLimit-Remaining'] = integerHeader('Requests left in the window.');
    headers['X-RateLimit-Reset'] = integerHeader('Seconds until the window resets.');
  }
  return headers;
}

/**
 * The error responses a route can really answer, from what the inventory found in force on it:
 * each status only when a guard, interceptor, pipe or edge step of this route produces it.
 *
 * @internal
 */
export function errorResponsesOf(record: InventoryRecord, options: ResolvedSecurityOptions): ErrorResponse[] {
  const { entry, facts } = record;
  const out: ErrorResponse[] = [];
  const validation = options.validation.enabled;
  const takesBody = BODY_METHODS.has(entry.method) || facts.route.bodyParams.length > 0;
  const badRequest: string[] = [];
  const unprocessable: string[] = [];
  if (validation && (takesBody || facts.pathParams.length > 0)) {
    // `validation.errorStatus` says which status a refused input gets.
    (options.validation.errorStatus === 422 ? unprocessable : badRequest).push(
      'the input failed validation (`VALIDATION_FAILED`)',
    );
  }
  if (facts.idempotencyKeyRequired) badRequest.push('the Idempotency-Key header is missing or malformed');
  if (badRequest.length > 0) out.push({ status: 400, description: `Bad Request: ${badRequest.join('; ')}.` });
  const authenticates = !entry.public && entry.authentication.length > 0;
  if (authenticates || entry.signed || entry.webhook) {
    const what = [
      authenticates ? 'missing, invalid or expired credentials' : undefined,
      entry.signed ? 'missing or invalid request signature (`INVALID_SIGNATURE`)' : undefined,
      entry.webhook ? 'missing or invalid webhook signature' : undefined,
    ].filter(Boolean);
    out.push({ status: 401, description: `Unauthorized: ${what.join('; ')}.` });
  }
  const accessRules = entry.roles.length + entry.permissions.length + entry.scopes.length > 0;
  if (accessRules || facts.denyStatuses.includes(403)) {
    out.push({
      status: 403,
      description: 'Forbidden: the caller lacks a required role, permission or scope, or does not own the resource.',
    });
  }
  if (facts.loadsResource) {
    out.push({
      status: 404,
      description: 'Not Found: the resource does not exist or (ownership) is not visible to the caller.',
    });
  }
  if (entry.idempotent) {
    out.push({
      status: 409,
      description: 'Conflict: a request with the same Idempotency-Key is still in flight (`IDEMPOTENCY_IN_FLIGHT`).',
    });
  }
  if (entry.deprecated)
    out.push({ status: 410, description: `Gone: the route was retired on ${entry.deprecated.sunset}.` });
  if (validation && takesBody) {
    out.push({
      status: 413,
      description: 'Payload Too Large: the body exceeds the configured limit (`PAYLOAD_TOO_LARGE`).',
    });
    if (options.validation.allowedContentTypes.length > 0) {
      out.push({
        status: 415,
        description: 'Unsupported Media Type: the Content-Type is not allowed (`UNSUPPORTED_MEDIA_TYPE`).',
      });
    }
  }
  if (entry.idempotent)
    unprocessable.push('the Idempotency-Key was used with a different payload (`IDEMPOTENCY_KEY_MISMATCH`)');
  if (unprocessable.length > 0) {
    out.push({ status: 422, description: `Unprocessable Entity: ${unprocessable.join('; ')}.` });
  }
  if (entry.rateLimits.length > 0) {
    out.push({
      status: 429,
      description: 'Too Many Requests: a rate limit is exhausted (`RATE_LIMITED`).',
      headers: rateLimitHeaders(options),
    });
  }
  if ((entry.rateLimits.length > 0 && !options.rateLimit.failOpen) || entry.idempotent) {
    out.push({
      status: 503,
      description: 'Service Unavailable: the security storage did not answer (`STORAGE_UNAVAILABLE`).',
    });
  }
  return out;
}
