import type * as ClassTransformer from 'class-transformer';
import { SecurityConfigError } from '../core/errors/security-config.error';

/** The class-transformer functions `@Serialize()` uses. @internal */
export type ClassTransformerApi = Pick<typeof ClassTransformer, 'plainToInstance' | 'instanceToPlain'>;

/**
 * Loads class-transformer (an optional peer) the first time a route uses `@Serialize()`, at boot.
 *
 * @internal
 */
export function loadClassTransformer(where: string): ClassTransformerApi {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('class-transformer') as ClassTransformerApi;
  } catch {
    throw SecurityConfigError.create(
      where,
      'uses @Serialize() but the package "class-transformer" is not installed',
      'Run `npm install class-transformer`',
    );
  }
}
