import { SetMetadata } from '@nestjs/common';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { optionKeys, readStrictSection, readString } from '../core/options/validate.util';
import { AUDIT_KEY } from './audit.constants';

/** What `@Audit()` takes besides the action. @publicApi */
export interface AuditOptions {
  /**
   * The route parameter holding the resource id (`/documents/:id` → `id`); absent params are
   * left out of the event.
   * @default 'id'
   */
  resourceParam?: string;
  /**
   * The resource type written in the event (`document`).
   * @default the action's first segment (`document.delete` → `document`)
   */
  resource?: string;
}

/** Metadata stored by `@Audit()`, already validated. @internal */
export interface AuditMetadata {
  action: string;
  resource: string;
  resourceParam: string;
}

const AUDIT_OPTION_KEYS = optionKeys<AuditOptions>()(['resourceParam', 'resource']);
/** `document.delete`, `admin.user.role_change`: dotted lower-case words. */
const ACTION = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

/**
 * Records who did what to which resource: each call of the route emits one `AUDIT` event with
 * the principal, `details.action`, `details.resource`, `details.resourceId` (from the route
 * param), the outcome (`success` or `failure`) and `details.status`. For sensitive and admin
 * actions (deletions, role changes, exports). Refusals by the guards before the handler (401, 403,
 * 429) are reported by their own events (`AUTH_FAILED`, `PERMISSION_DENIED`, `RATE_LIMITED`).
 * Bodies are never recorded. An invalid action throws a `SecurityConfigError` when the class is
 * defined.
 *
 * @example
 * ```ts
 * @Audit('document.delete')
 * @Delete(':id')
 * remove(@Param('id') id: string) {}
 * ```
 * @publicApi
 */
export const Audit = (action: string, options: AuditOptions = {}): MethodDecorator & ClassDecorator => {
  if (typeof action !== 'string' || !ACTION.test(action) || action.length > 100) {
    throw SecurityConfigError.create(
      '@Audit() action',
      `"${String(action)}" is not a dotted lower-case action name`,
      'Use e.g. "document.delete" or "admin.user.update"',
    );
  }
  const raw = readStrictSection(options, AUDIT_OPTION_KEYS, '@Audit()');
  const metadata: AuditMetadata = {
    action,
    resource: readString(raw, 'resource', '@Audit()', action.split('.')[0]),
    resourceParam: readString(raw, 'resourceParam', '@Audit()', 'id'),
  };
  return SetMetadata(AUDIT_KEY, Object.freeze(metadata));
};
