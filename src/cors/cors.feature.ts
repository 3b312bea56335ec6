import { defineFeature } from '../core/feature/security-feature.interface';
import { CorsEdge } from './cors.edge';
import type { ResolveContext } from '../core/options/core.options';
import { resolveCorsOptions, type ResolvedCorsOptions } from './cors.options';

/** CORS policy, answered at the edge. @internal */
export const corsFeature = defineFeature({
  key: 'cors',
  resolve: (value: unknown, ctx: ResolveContext): ResolvedCorsOptions =>
    resolveCorsOptions(value, ctx, 'cors', ctx.exposedHeaders ?? []),
  edges: {
    cors: (o, _core, events) => (o.enabled ? new CorsEdge(o, events) : undefined),
  },
  enabled: (o) => o.enabled,
  summary: (o) => {
    if (!o.enabled) return 'cors off';
    if (o.anyOrigin) return 'cors any origin';
    if (o.rules.length === 0) return 'cors on (no cross-origin access)';
    return `cors on (${o.rules.length} origin rule${o.rules.length === 1 ? '' : 's'})`;
  },
});
