import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext, FeatureOptions } from '../core/options/core.options';
import { readBoolean, readNumber, readStrictSection, readStringArray, optionKeys } from '../core/options/validate.util';

/**
 * Field names stripped from every JSON response by default (compared case-insensitively, with
 * `_` and `-` ignored, so `password_hash` and `PasswordHash` match `passwordHash`).
 *
 * @publicApi
 */
export const DEFAULT_SENSITIVE_FIELDS: readonly string[] = Object.freeze([
  'password',
  'passwordHash',
  'ssn',
  'secret',
  'token',
  'apiKey',
  'refreshToken',
  'internalNotes',
]);

/**
 * Response filtering options: the sensitive-field denylist applied to every JSON response, and
 * how `@Serialize()` picks class-transformer groups.
 *
 * @publicApi
 */
export interface ResponseFilteringOptions {
  /**
   * Turns the feature on or off. Off makes its interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
  /**
   * Field names stripped at any depth from every JSON response, even without a DTO. Replaces
   * the default list; use `extraDenylist` to add to it. Matching ignores case, `_` and `-`.
   * @default DEFAULT_SENSITIVE_FIELDS
   */
  denylist?: string[];
  /**
   * More field names stripped in addition to `denylist`.
   * @default []
   */
  extraDenylist?: string[];
  /**
   * Deepest nesting walked. A deeper (or cyclic) response is refused with a 500 rather than sent
   * unfiltered.
   * @default 32
   */
  maxDepth?: number;
  /**
   * Whether `@Serialize()` passes the caller's roles (including inherited roles) to
   * class-transformer as groups, so `@Expose({ groups: ['admin'] })` fields reach admins only.
   * @default true
   */
  rolesAsGroups?: boolean;
}

/** @internal */
export interface ResolvedResponseFilteringOptions {
  enabled: boolean;
  /** Normalised names (see {@link normalizeFieldName}). */
  denylist: ReadonlySet<string>;
  maxDepth: number;
  rolesAsGroups: boolean;
}

const KEYS = optionKeys<ResponseFilteringOptions>()([
  'enabled',
  'denylist',
  'extraDenylist',
  'maxDepth',
  'rolesAsGroups',
]);
const SEPARATORS = /[-_]/g;

/** Lower-cases a field name and drops `_` and `-`, the form the denylist is compared in. @internal */
export function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(SEPARATORS, '');
}

/** Validates `responseFiltering` once at boot. @internal */
export function resolveResponseFilteringOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'responseFiltering',
): ResolvedResponseFilteringOptions {
  const raw = readStrictSection(value, KEYS, path);
  const names = [
    ...readStringArray(raw, 'denylist', path, DEFAULT_SENSITIVE_FIELDS),
    ...readStringArray(raw, 'extraDenylist', path, []),
  ];
  const denylist = new Set<string>();
  names.forEach((name) => {
    const normalized = normalizeFieldName(name);
    if (!normalized) {
      throw SecurityConfigError.create(
        `${path}.denylist`,
        `contains "${name}", which is empty once "_" and "-" are ignored`,
        'Use field names',
      );
    }
    denylist.add(normalized);
  });
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    denylist,
    maxDepth: readNumber(raw, 'maxDepth', path, 32, { min: 1, max: 1000, integer: true }),
    rolesAsGroups: readBoolean(raw, 'rolesAsGroups', path, true),
  };
}

/** The injected options response filtering's services read. @internal */
export type ResponseFilteringFeatureOptions = FeatureOptions<{
  responseFiltering: ResolvedResponseFilteringOptions;
  /** The role hierarchy (roles as groups), read structurally: filtering does not depend on authz. */
  authorization: { roles: ReadonlyMap<string, { readonly roles: ReadonlySet<string> }> };
}>;
