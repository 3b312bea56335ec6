import type * as ClassTransformer from 'class-transformer';
import type * as ClassValidator from 'class-validator';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { Ctor } from './dto-plan.util';

/** The parts of class-transformer's metadata storage the pipe reads to pick its fast path. @internal */
export interface TransformerMetadataStorage {
  findTypeMetadata(target: Ctor, propertyName: string): unknown;
  findTransformMetadatas(target: Ctor, propertyName: string, transformationType: number): unknown[];
  getStrategy(target: Ctor): string;
  getExposedMetadatas(target: Ctor): unknown[];
  getExcludedMetadatas(target: Ctor): unknown[];
}

/** The optional peers, loaded once when the validation pipe is built. @internal */
export interface ValidationPeers {
  validator: typeof ClassValidator;
  transformer: typeof ClassTransformer;
  /** class-transformer's metadata, when its layout is the known one; otherwise every DTO takes the full path. */
  transformerMetadata?: TransformerMetadataStorage;
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
 * Loads class-validator and class-transformer lazily (they are optional peers). class-transformer
 * does not export its metadata storage; `@nestjs/mapped-types` and `@nestjs/swagger` read it from
 * the same path, and the pipe only uses it to skip class-transformer for DTOs that have no
 * transformer decorators at all. If it ever moves, the pipe simply always uses class-transformer.
 *
 * @internal
 */
export function loadValidationPeers(): ValidationPeers {
  const validator = load<typeof ClassValidator>('class-validator');
  const transformer = load<typeof ClassTransformer>('class-transformer');
  let transformerMetadata: TransformerMetadataStorage | undefined;
  try {
    const storage = load<{ defaultMetadataStorage?: TransformerMetadataStorage }>(
      'class-transformer/cjs/storage',
    ).defaultMetadataStorage;
    if (storage && typeof storage.findTypeMetadata === 'function' && typeof storage.getStrategy === 'function') {
      transformerMetadata = storage;
    }
  } catch {
    transformerMetadata = undefined;
  }
  return { validator, transformer, transformerMetadata };
}
