import { Inject } from '@nestjs/common';
import { SecurityStorage } from './security-storage.interface';

/**
 * Injects the {@link SecurityStorage} SecurityModule uses (memory or Redis).
 *
 * @example constructor(@InjectSecurityStorage() private readonly storage: SecurityStorage) {}
 * @publicApi
 */
export const InjectSecurityStorage = (): ParameterDecorator => Inject(SecurityStorage);
