import type { Provider, Type } from '@nestjs/common';
import type { SecurityEvents } from '../events/security-events.service';
import type { ResolveContext, ResolvedCoreOptions } from '../options/core.options';
import type { EdgeHandler } from '../pipeline/edge-handler.interface';

/** Which global enhancer slot a stage fills. @internal */
export type EnhancerKind = 'guard' | 'interceptor' | 'pipe';

/**
 * One global enhancer of a feature. `security.providers.ts` places it in the pipeline; `when`
 * decides at boot whether it is attached (a disabled one costs nothing per request).
 *
 * @internal
 */
export interface EnhancerStage<R> {
  kind: EnhancerKind;
  type: Type;
  /**
   * Whether the enhancer is attached, from the feature's resolved options and, where it matters,
   * whether some route of the app carries a metadata key (route-only interceptors).
   */
  when: (options: R, routesUse: (metadataKey: string) => boolean) => boolean;
}

/**
 * One edge step of a feature (middleware in front of every request), built once at boot;
 * `undefined` when the feature is off.
 *
 * @internal
 */
export type EdgeStage<R> = (
  options: R,
  core: ResolvedCoreOptions,
  events: SecurityEvents,
  get: EdgeServices,
) => EdgeHandler | undefined;

/**
 * Looks up one of SecurityModule's providers (a feature's own service, e.g. its limiter). Call it
 * at request time, not while building the step: edge steps are built before those services.
 *
 * @internal
 */
export type EdgeServices = <T>(type: Type<T>) => T;

/**
 * What a feature folder tells SecurityModule about itself. `security.options.ts` resolves the
 * features' option sections through `resolve`, in order; `security.providers.ts` registers their
 * `providers` and places their `enhancers` and `edges` in the one ordered pipeline table; the boot
 * summary and `SecuritySettings` read `enabled` and `summary`.
 *
 * @internal
 */
export interface SecurityFeature<K extends string, R, E extends string = string, G extends string = string> {
  /** The feature's option section in `SecurityModuleOptions`. */
  readonly key: K;
  /** Validates the section once at boot (defaults merged, values derived); throws SecurityConfigError. */
  readonly resolve: (value: unknown, ctx: ResolveContext) => R;
  /** Services the feature registers whatever its options (its enhancers are registered by their stage). */
  readonly providers?: readonly Provider[];
  /** Services SecurityModule exports for the app to inject. */
  readonly exports?: readonly Type[];
  /** The feature's global enhancers, by name; `security.providers.ts` orders them. */
  readonly enhancers?: Readonly<Record<E, EnhancerStage<R>>>;
  /** The feature's edge steps, by name; `security.providers.ts` orders them. */
  readonly edges?: Readonly<Record<G, EdgeStage<R>>>;
  /** Whether the feature is on (for `SecuritySettings.features`). */
  readonly enabled: (options: R) => boolean;
  /** Its part of the boot summary, e.g. `idempotency on (decorated routes)`; omitted when undefined. */
  readonly summary?: (options: R) => string | undefined;
  /** Response headers the feature adds that browser scripts may need (CORS exposes them). */
  readonly exposedHeaders?: (options: R) => readonly string[];
}

/** Any feature descriptor. @internal */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a heterogeneous list of descriptors
export type AnySecurityFeature = SecurityFeature<string, any, string, string>;

/** Identity helper that types a descriptor literal. @internal */
export function defineFeature<K extends string, R, E extends string = never, G extends string = never>(
  feature: SecurityFeature<K, R, E, G>,
): SecurityFeature<K, R, E, G> {
  return feature;
}
