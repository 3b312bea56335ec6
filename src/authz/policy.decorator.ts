import { POLICIES_KEY, type PolicyRule } from './authorization.constants';
import { appendRule } from './append-rule.util';

/** Options of {@link Policy}. @publicApi */
export interface PolicyOptions {
  /** Resource type to load and hand to the policy (otherwise the last `@Owns()` resource, if any). */
  resource?: string;
  /**
   * Route parameter holding that resource's id.
   * @default 'id'
   */
  param?: string;
  /**
   * Status when the policy denies a loaded resource; without a resource a denial is always 403.
   * @default authorization.ownership.notOwnerStatus (404)
   */
  deniedStatus?: 403 | 404;
}

/**
 * Requires a named policy from `authorization.policies` to return `true`. The policy sees the
 * principal, the request and the loaded resource. Several policies all apply. An unknown policy
 * name fails at boot.
 *
 * @example
 * ```ts
 * // authorization.policies: { 'document.read': ({ isOwner, principal, resource, hasRole }) => ... }
 * @Policy('document.read', { resource: 'document', param: 'id' })
 * @Get(':id')
 * read(@LoadedResource('document') doc: DocumentRecord) { return doc; }
 * ```
 * @publicApi
 */
export const Policy = (policy: string, options: PolicyOptions = {}): MethodDecorator & ClassDecorator =>
  appendRule<PolicyRule>(POLICIES_KEY, {
    policy,
    resource: options.resource,
    param: options.param ?? 'id',
    deniedStatus: options.deniedStatus,
  });
