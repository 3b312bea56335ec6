import { Inject, Injectable } from '@nestjs/common';
import type { SecurityProfile } from './core/options/core.options';
import { SECURITY_OPTIONS } from './core/security.constants';
import type { GraphqlLimits } from './graphql/graphql.options';
import { SECURITY_FEATURES, type ResolvedSecurityOptions } from './security.options';
import { storageKind } from './storage/storage.options';

/** A feature that can be turned on or off, named by its option section. @publicApi */
export type SecurityFeatureName = Exclude<(typeof SECURITY_FEATURES)[number]['key'], 'storage'>;

/**
 * What the app may read at run time about the security configuration in force: the profile,
 * which features are on, the storage kind, the GraphQL limits and the boot summary. Inject it
 * anywhere SecurityModule is visible (import the module, or register it with `isGlobal: true`).
 * The resolved options behind it are internal.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class HealthService {
 *   constructor(private readonly security: SecuritySettings) {}
 *   describe() {
 *     return { profile: this.security.profile, rateLimit: this.security.features.rateLimit };
 *   }
 * }
 * ```
 * @publicApi
 */
@Injectable()
export class SecuritySettings {
  /** The environment profile in force (`development`, `staging` or `production`). */
  readonly profile: SecurityProfile;
  /** Where stateful features keep their state: `memory`, `redis`, or `custom` (a store instance). */
  readonly storage: 'memory' | 'redis' | 'custom';
  /** Which features are on, by option section (`auth`, `rateLimit`, `idempotency`...). */
  readonly features: Readonly<Record<SecurityFeatureName, boolean>>;
  /** The GraphQL limits, for `createGraphqlValidationRules(settings.graphql)`. */
  readonly graphql: GraphqlLimits;
  /**
   * The boot summary: profile, storage (a Redis host and port, never credentials), authentication
   * methods, rate-limit policies and tiers, idempotency, validation and the other features.
   */
  readonly summary: string;

  constructor(@Inject(SECURITY_OPTIONS) options: ResolvedSecurityOptions) {
    this.profile = options.profile;
    this.storage = storageKind(options.storage);
    this.features = Object.freeze(featureStates(options));
    this.graphql = options.graphql;
    this.summary = describeSecurity(options);
    Object.freeze(this);
  }
}

function featureStates(options: ResolvedSecurityOptions): Record<SecurityFeatureName, boolean> {
  const states: Partial<Record<SecurityFeatureName, boolean>> = {};
  for (const feature of SECURITY_FEATURES) {
    if (feature.key === 'storage') continue;
    states[feature.key] = (feature.enabled as (o: unknown) => boolean)(options[feature.key]);
  }
  return states as Record<SecurityFeatureName, boolean>;
}

/**
 * The one-line boot summary, built from the features' descriptors in their order.
 *
 * @internal
 */
export function describeSecurity(options: ResolvedSecurityOptions): string {
  const parts = [`profile ${options.profile}`];
  for (const feature of SECURITY_FEATURES) {
    const part = (feature.summary as ((o: unknown) => string | undefined) | undefined)?.(options[feature.key]);
    if (part) parts.push(part);
  }
  return parts.join('; ');
}
