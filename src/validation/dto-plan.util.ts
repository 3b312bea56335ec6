import type { ValidationPeers } from './class-validator.loader';

/** A DTO class (any constructor). @internal */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ctor = abstract new (...args: any[]) => unknown;

/** What the pipe learned about one DTO class, once. @internal */
export interface DtoPlan {
  /** No class-transformer decorator anywhere on the class: copy own keys into `new Dto()`. */
  fast: boolean;
  /** Some constraint is async: `validate` instead of `validateSync`. */
  async: boolean;
  /** Properties that declare their own string length rule. */
  boundedStrings: ReadonlySet<string>;
  /** Properties that declare their own array size rule. */
  boundedArrays: ReadonlySet<string>;
}

const STRING_BOUNDS = new Set(['maxLength', 'isLength', 'length', 'isIn', 'isEnum', 'isUUID', 'isBoolean', 'equals']);
const ARRAY_BOUNDS = new Set(['arrayMaxSize']);
const PLAIN_TO_CLASS = 0;

/**
 * Reads class-validator's (and class-transformer's) metadata of `dto` once: whether the cheap
 * construction path is safe, whether validation must be async, and which properties declare
 * their own bounds (the others get the default ones).
 *
 * @internal
 */
export function compileDtoPlan(dto: Ctor, peers: ValidationPeers): DtoPlan {
  const metadatas = peers.validator.getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const boundedStrings = new Set<string>();
  const boundedArrays = new Set<string>();
  const properties = new Set<string>();
  let async = false;
  for (const m of metadatas) {
    properties.add(m.propertyName);
    const name = m.name ?? '';
    if (STRING_BOUNDS.has(name)) boundedStrings.add(m.propertyName);
    if (ARRAY_BOUNDS.has(name)) boundedArrays.add(m.propertyName);
    if (m.constraintCls) {
      for (const c of peers.validator.getMetadataStorage().getTargetValidatorConstraints(m.constraintCls)) {
        if (c.async) async = true;
      }
    }
  }
  return { fast: isTransformerFree(dto, properties, peers), async, boundedStrings, boundedArrays };
}

function isTransformerFree(dto: Ctor, properties: Set<string>, peers: ValidationPeers): boolean {
  const storage = peers.transformerMetadata;
  if (!storage) return false;
  if (storage.getStrategy(dto) !== 'none') return false;
  if (storage.getExposedMetadatas(dto).length > 0 || storage.getExcludedMetadatas(dto).length > 0) return false;
  for (const property of properties) {
    if (storage.findTypeMetadata(dto, property)) return false;
    if (storage.findTransformMetadatas(dto, property, PLAIN_TO_CLASS).length > 0) return false;
  }
  return true;
}
