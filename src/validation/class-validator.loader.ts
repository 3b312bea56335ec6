import type * as ClassTransformer from 'class-transformer';
import type * as ClassValidator from 'class-validator';
import { SecurityConfigError } from '../core/errors/security-config.error';

/** The optional peers, loaded once when the validation pipe is built. @internal */
export interface ValidationPeers {
  validator: typeof ClassValidator;
  transformer: typeof ClassTransformer;
}

function load<T>(name: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch {
    throw SecurityConfigError.create(
      'validation',
      `is enabled but the package "${name}" is not installed`,
      'Run `npm install class-validator class-transformer`, or set validation: { enabled: false }',
    );
  }
}

/**
 * Loads class-validator and class-transformer lazily (they are optional peers), through their
 * public entry points only.
 *
 * @internal
 */
export function loadValidationPeers(): ValidationPeers {
  return {
    validator: load<typeof ClassValidator>('class-validator'),
    transformer: load<typeof ClassTransformer>('class-transformer'),
  };
}
