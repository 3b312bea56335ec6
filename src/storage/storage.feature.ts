import { defineFeature } from '../core/feature/security-feature.interface';
import { SecurityStorage } from './security-storage.interface';
import { createSecurityStorage, SecurityStorageLifecycle } from './storage.factory';
import { SecurityStorageHealthIndicator } from './storage-health.indicator';
import { describeStorage, resolveStorageOptions } from './storage.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { SecurityEvents } from '../core/events/security-events.service';

/** The store of every stateful feature: memory, Redis or a custom instance. @internal */
export const storageFeature = defineFeature({
  key: 'storage',
  resolve: resolveStorageOptions,
  providers: [
    { provide: SecurityStorage, useFactory: createSecurityStorage, inject: [SECURITY_OPTIONS, SecurityEvents] },
    SecurityStorageLifecycle,
    SecurityStorageHealthIndicator,
  ],
  exports: [SecurityStorageHealthIndicator],
  enabled: () => true,
  summary: (o) => `storage ${describeStorage(o)}`,
});
