import type { Type } from '@nestjs/common';

/** Metadata key written by `@Serialize()`. @publicApi */
export const SERIALIZE_KEY = 'security:serialize';
/** Metadata key written by `@AllowSensitiveFields()`. @publicApi */
export const ALLOW_SENSITIVE_FIELDS_KEY = 'security:allow-sensitive-fields';

/** Options of `@Serialize()`. @publicApi */
export interface SerializeOptions {
  /**
   * For paginated wrappers such as `{ items: [...], total }`: the property holding the records.
   * The DTO applies to that property; the wrapper's other fields are kept (and still pass the
   * denylist).
   */
  key?: string;
}

/** What `@Serialize()` stores. @publicApi */
export interface SerializeMetadata extends SerializeOptions {
  /** The response class whose `@Expose()`d fields are returned. */
  type: Type<object>;
}
