import { defineFeature } from '../core/feature/security-feature.interface';
import { SECURITY_HEADERS_KEY } from './headers.constants';
import { resolveHeadersOptions } from './headers.options';
import { HttpsEnforcementEdge } from './https-enforcement.edge';
import { SecurityHeadersEdge } from './security-headers.edge';
import { SecurityHeadersGuard } from './security-headers.guard';

/** Security response headers and HTTPS enforcement. @internal */
export const headersFeature = defineFeature({
  key: 'headers',
  resolve: resolveHeadersOptions,
  enhancers: {
    // Never refuses; a guard rather than an interceptor because all it does happens before the handler.
    routeGuard: {
      kind: 'guard',
      type: SecurityHeadersGuard,
      when: (o, routesUse) => o.enabled && routesUse(SECURITY_HEADERS_KEY),
    },
  },
  edges: {
    https: (o, core, events) =>
      o.https.mode !== 'off' ? new HttpsEnforcementEdge(o.https, core.trustProxy, events) : undefined,
    headers: (o) => (o.enabled ? new SecurityHeadersEdge(o) : undefined),
  },
  enabled: (o) => o.enabled,
  summary: (o) => `headers ${o.enabled ? 'on' : 'off'}${o.https.mode !== 'off' ? `, https ${o.https.mode}` : ''}`,
});
