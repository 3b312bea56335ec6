import { SetMetadata, type Type } from '@nestjs/common';
import { SERIALIZE_KEY, type SerializeMetadata, type SerializeOptions } from './filtering.constants';

/**
 * Returns only the fields a response class exposes (class-transformer `@Expose()`, extraneous
 * values excluded), for an object, an array, or the `key` property of a paginated wrapper.
 * Fields marked `@Expose({ groups: ['admin'] })` reach callers with that role (or a role
 * including it). The sensitive-field denylist still applies afterwards. Needs `class-transformer`.
 *
 * @example
 * ```ts
 * class UserResponse {
 *   @Expose() id!: string;
 *   @Expose() username!: string;
 *   @Expose({ groups: ['admin'] }) department!: string;
 * }
 *
 * @Serialize(UserResponse)
 * @Get('users')
 * list() { return this.users.findAll(); }
 *
 * @Serialize(UserResponse, { key: 'items' })
 * @Get('users/page')
 * page() { return { items: this.users.findAll(), total: 4 }; }
 * ```
 * @publicApi
 */
export const Serialize = (type: Type<object>, options: SerializeOptions = {}): MethodDecorator & ClassDecorator =>
  SetMetadata<string, SerializeMetadata>(SERIALIZE_KEY, { type, key: options.key });
