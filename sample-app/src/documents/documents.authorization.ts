import type { AuthorizationOptions, ResponseFilteringOptions } from 'nestjs-rampart';
import type { DocumentRecord } from './documents.service';

/**
 * The sample's roles (`admin ⊃ editor ⊃ user ⊃ viewer`), ownership defaults and policies. Admins
 * pass ownership checks only because `overrideRoles` says so (and not on `PATCH`, which opts out).
 */
export const sampleAuthorizationOptions: AuthorizationOptions = {
  roles: {
    admin: { permissions: ['users:read', 'admin'], inherits: ['editor'] },
    editor: { permissions: ['documents:*'], inherits: ['user'] },
    user: { permissions: ['documents:read', 'documents:write', 'documents:delete'], inherits: ['viewer'] },
    viewer: { permissions: ['documents:read'] },
  },
  ownership: { overrideRoles: ['admin'], notOwnerStatus: 404 },
  policies: {
    // Owner, or same department and not confidential, or admin.
    'document.read': ({ resource, principal, isOwner, hasRole }) => {
      const doc = resource as DocumentRecord;
      return isOwner() || hasRole('admin') || (!doc.confidential && doc.department === principal.claims.department);
    },
  },
};

/** The default denylist stays on; the sample adds one field of its own. */
export const sampleResponseFilteringOptions: ResponseFilteringOptions = {
  extraDenylist: ['creditCardNumber'],
};
