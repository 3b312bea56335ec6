import { Inject } from '@nestjs/common';
import { SecurityStorage } from '../storage/security-storage.interface';
import { SECURITY_OPTIONS } from './security.constants';

/**
 * Injects the resolved, frozen SecurityModule options.
 *
 * @example constructor(@InjectSecurityOptions() private readonly options: ResolvedSecurityOptions) {}
 * @publicApi
 */
export const InjectSecurityOptions = (): ParameterDecorator => Inject(SECURITY_OPTIONS);

/**
 * Injects the {@link SecurityStorage} SecurityModule uses (memory or Redis).
 *
 * @example constructor(@InjectSecurityStorage() private readonly storage: SecurityStorage) {}
 * @publicApi
 */
export const InjectSecurityStorage = (): ParameterDecorator => Inject(SecurityStorage);
