import { defineFeature } from '../core/feature/security-feature.interface';
import { resolveInventoryOptions } from './inventory.options';

/**
 * The route security inventory. Its service reads every feature's metadata at boot, so it is
 * registered by `security.providers.ts` itself rather than through this descriptor (which would
 * make the options composition import the service that reads it).
 *
 * @internal
 */
export const inventoryFeature = defineFeature({
  key: 'inventory',
  resolve: resolveInventoryOptions,
  enabled: (o) => o.enabled,
});
