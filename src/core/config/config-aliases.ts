/**
 * Config-file keys whose option is not simply their camelCase form. Everything else maps by
 * camelCase (`trust_proxy` → `trustProxy`, `rate_limit.fail_open` → `rateLimit.failOpen`).
 *
 * @internal
 */
export const CONFIG_ALIASES: Record<string, { path: string; convert?: (value: unknown) => unknown }> = {};
