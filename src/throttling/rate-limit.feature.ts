import { defineFeature } from '../core/feature/security-feature.interface';
import { LoginRateLimitInterceptor } from './login-rate-limit.interceptor';
import { LoginProtection } from './login-protection.service';
import { PrincipalRateLimitGuard } from './principal-rate-limit.guard';
import { LOGIN_RATE_LIMIT_KEY } from './rate-limit.constants';
import { RateLimitGuard } from './rate-limit.guard';
import { LEGACY_RATE_LIMIT_HEADERS, resolveRateLimitOptions, type ResolvedRateLimitPolicy } from './rate-limit.options';
import { RateLimiterService } from './rate-limiter.service';
import { EdgeRateLimitEdge } from './edge-rate-limit.edge';

const describePolicy = (p: ResolvedRateLimitPolicy): string => `${p.name} ${p.limit}/${p.windowMs / 1000}s`;

/** Rate limiting: per IP and route, per principal tier, and login attempts. @internal */
export const rateLimitFeature = defineFeature({
  key: 'rateLimit',
  resolve: resolveRateLimitOptions,
  providers: [RateLimiterService, LoginProtection],
  exports: [RateLimiterService, LoginProtection],
  enhancers: {
    ipGuard: { kind: 'guard', type: RateLimitGuard, when: (o) => o.enabled },
    principalGuard: {
      kind: 'guard',
      type: PrincipalRateLimitGuard,
      when: (o) => o.enabled && Object.keys(o.tiers).length > 0,
    },
    loginInterceptor: {
      kind: 'interceptor',
      type: LoginRateLimitInterceptor,
      when: (o, routesUse) => o.enabled && routesUse(LOGIN_RATE_LIMIT_KEY),
    },
  },
  edges: {
    ipLimit: (o, core, events, get) =>
      o.enabled && o.edge
        ? new EdgeRateLimitEdge(o, o.edge, () => get(RateLimiterService), events, core.errors.format === 'problem+json')
        : undefined,
  },
  enabled: (o) => o.enabled,
  summary: (o) => {
    if (!o.enabled) return 'rate limit off';
    const tiers = Object.keys(o.tiers);
    const policies = [...o.policies, ...(o.edge ? [o.edge] : [])].map(describePolicy).join(', ') || 'no default policy';
    return `rate limit ${policies}${tiers.length > 0 ? ` (tiers ${tiers.join(', ')})` : ''}`;
  },
  // Scripts can read the legacy rate-limit headers too when they are sent.
  exposedHeaders: (o) => (o.headers.legacy ? LEGACY_RATE_LIMIT_HEADERS : []),
});
