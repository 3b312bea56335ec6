import {
  type CanActivate,
  Controller,
  Delete,
  Get,
  type ExecutionContext,
  Injectable,
  type INestApplication,
  Module,
} from '@nestjs/common';
import {
  AuthorizationService,
  CurrentPrincipal,
  LoadedResource,
  Owns,
  Permissions,
  Policy,
  Public,
  Roles,
  SecurityModule,
  SecurityResource,
  type Principal,
  type ResourceLoader,
  type SecurityEvent,
} from 'nestjs-rampart';
import { AuthenticationGuard } from '../../src/auth/authentication.guard';
import { getSecurityState } from '../../src/core/context/request-state';
import { ADAPTERS, bootApp } from '../utils/app';

interface Doc {
  id: string;
  ownerId: string;
  department: string;
  confidential: boolean;
}

const DOCS = new Map<string, Doc>([
  ['d-alice', { id: 'd-alice', ownerId: 'alice', department: 'sales', confidential: false }],
  ['d-bob', { id: 'd-bob', ownerId: 'bob', department: 'sales', confidential: false }],
  ['d-bob-secret', { id: 'd-bob-secret', ownerId: 'bob', department: 'sales', confidential: true }],
]);
const loads: string[] = [];
const events: SecurityEvent[] = [];

/**
 * Test-only stand-in for the authentication stage (it replaces AuthenticationGuard in its pipeline
 * slot): `x-test-user: id|role,role|scope,scope|department`. Without the header the request is
 * authenticated-but-anonymous (as on a public route); with `x-skip-auth` the stage "did not run",
 * as in a misordered pipeline.
 */
const fakeAuthentication: CanActivate = {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    if (req.headers['x-skip-auth']) return true;
    const state = getSecurityState(req);
    state.authenticated = true;
    const header = req.headers['x-test-user'];
    if (typeof header === 'string') {
      const [id, roles = '', scopes = '', department = ''] = header.split('|');
      state.principal = {
        type: 'user',
        id,
        roles: roles ? roles.split(',') : [],
        scopes: scopes ? scopes.split(',') : [],
        claims: { department },
      };
    }
    return true;
  },
};

/** A DI-built loader (async), discovered through @SecurityResource. */
@Injectable()
class NotesStore {
  readonly notes = new Map([['n1', { id: 'n1', authors: ['alice', 'carol'] }]]);
}

@SecurityResource('note')
@Injectable()
class NoteLoader implements ResourceLoader<{ id: string; authors: string[] }> {
  ownerField = 'authors';
  constructor(private readonly store: NotesStore) {}
  async load(id: string) {
    await Promise.resolve();
    return this.store.notes.get(id);
  }
}

@Controller('rbac')
class RbacController {
  @Roles('admin')
  @Get('admin')
  admin() {
    return { ok: 'admin' };
  }

  @Roles('editor')
  @Get('editor')
  editor() {
    return { ok: 'editor' };
  }

  @Roles({ all: ['editor', 'auditor'] })
  @Get('all')
  all() {
    return { ok: 'all' };
  }

  @Permissions('delete')
  @Delete('perm')
  perm() {
    return { ok: 'perm' };
  }

  @Permissions({ any: ['reports:read', 'reports:export'] })
  @Get('scope')
  scope() {
    return { ok: 'scope' };
  }

  @Get('open')
  open() {
    return { ok: 'open' };
  }

  @Public()
  @Get('public')
  publicRoute() {
    return { ok: 'public' };
  }

  @Public()
  @Roles('viewer')
  @Get('public-with-rules')
  publicWithRules() {
    return { ok: 'public-with-rules' };
  }
}

@Controller('docs')
class DocsController {
  constructor(private readonly authz: AuthorizationService) {}

  @Get()
  list(@CurrentPrincipal() principal: Principal) {
    const filter = this.authz.ownerFilter(principal, 'doc', { overrideRoles: ['admin'] });
    return [...DOCS.values()].filter((d) => filter.ownerId === undefined || d.ownerId === filter.ownerId);
  }

  @Owns('doc')
  @Get(':id')
  get(@LoadedResource() doc: Doc) {
    return doc;
  }

  @Owns('doc', { notOwnerStatus: 403 })
  @Get(':id/strict')
  strict(@LoadedResource('doc') doc: Doc) {
    return doc;
  }

  @Owns('doc', { overrideRoles: ['admin'] })
  @Get(':id/admin-ok')
  adminOk(@LoadedResource() doc: Doc) {
    return doc;
  }

  @Policy('doc.read', { resource: 'doc' })
  @Get(':id/policy')
  policy(@LoadedResource() doc: Doc) {
    return doc;
  }

  @Owns('doc')
  @Policy('doc.not-confidential')
  @Get(':id/owned-and-open')
  both(@LoadedResource() doc: Doc) {
    return doc;
  }
}

@Controller('other')
class OtherController {
  @Owns('note')
  @Get('notes/:id')
  note(@LoadedResource() note: unknown) {
    return note;
  }

  @Owns('broken')
  @Get('broken/:id')
  broken() {
    return {};
  }

  @Policy('throws')
  @Get('policy-throws')
  policyThrows() {
    return {};
  }
}

@Module({
  imports: [
    SecurityModule.forRoot({
      events: { logger: false, sinks: [(e) => events.push(e)] },
      authorization: {
        permissionsFromScopes: true,
        roles: {
          admin: { permissions: ['*'], inherits: ['editor'] },
          editor: { permissions: ['read', 'write'], inherits: ['viewer'] },
          viewer: { permissions: ['read'] },
          auditor: { permissions: ['reports:*'] },
          user: { permissions: ['docs:read'] },
        },
        resources: {
          doc: {
            load: (id: string) => {
              loads.push(id);
              return DOCS.get(id);
            },
          },
          broken: {
            load: () => {
              throw new Error('connect ECONNREFUSED postgres://admin:hunter2@db');
            },
          },
        },
        policies: {
          'doc.read': ({ isOwner, principal, resource, hasRole }) => {
            const doc = resource as Doc;
            return (
              isOwner() || hasRole('admin') || (principal.claims.department === doc.department && !doc.confidential)
            );
          },
          'doc.not-confidential': ({ resource }) => !(resource as Doc).confidential,
          throws: () => {
            throw new TypeError('policy bug');
          },
        },
      },
    }),
  ],
  controllers: [RbacController, DocsController, OtherController],
  providers: [NotesStore, NoteLoader],
})
class AuthzAppModule {}

const ALICE = 'alice|user||sales';
const BOB = 'bob|user||sales';
const CAROL = 'carol|user||engineering';
const ADMIN = 'root|admin||it';
const EDITOR = 'ed|editor';
const VIEWER = 'vi|viewer';

describe.each(ADAPTERS)('authorization (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AuthzAppModule, (builder) =>
      builder.overrideProvider(AuthenticationGuard).useValue(fakeAuthentication),
    ));
  });
  afterAll(() => app.close());
  beforeEach(() => {
    events.length = 0;
    loads.length = 0;
  });

  const call = (path: string, user?: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { ...(user ? { 'x-test-user': user } : {}), ...(init.headers as Record<string, string>) },
    });

  describe('roles and permissions', () => {
    it.each([
      ['/rbac/admin', ADMIN, 200],
      ['/rbac/admin', EDITOR, 403],
      ['/rbac/editor', ADMIN, 200], // admin includes editor
      ['/rbac/editor', EDITOR, 200],
      ['/rbac/editor', VIEWER, 403],
      ['/rbac/all', EDITOR, 403],
      ['/rbac/all', 'x|editor,auditor', 200],
      ['/rbac/scope', 'k|viewer|reports:read', 200], // scope counts as permission
      ['/rbac/scope', 'k|auditor', 200], // reports:* wildcard
      ['/rbac/scope', VIEWER, 403],
      ['/rbac/open', VIEWER, 200],
      ['/rbac/public', undefined, 200],
      ['/rbac/public-with-rules', undefined, 401],
      ['/rbac/public-with-rules', VIEWER, 200],
      ['/rbac/admin', 'u|unknown-role', 403],
    ])('GET %s as %s → %i', async (path, user, status) => {
      const res = await call(path, user);
      expect(res.status).toBe(status);
    });

    it.each([
      [ADMIN, 200], // '*'
      [EDITOR, 403],
    ])('DELETE with @Permissions("delete") as %s → %i', async (user, status) => {
      expect((await call('/rbac/perm', user, { method: 'DELETE' })).status).toBe(status);
    });

    it('answers a generic 403 and reports the refusing rule', async () => {
      const res = await call('/rbac/admin', EDITOR);
      expect(await res.json()).toMatchObject({
        statusCode: 403,
        code: 'PERMISSION_DENIED',
        message: 'You do not have permission to perform this action',
      });
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'PERMISSION_DENIED',
          principalId: 'ed',
          details: expect.objectContaining({ rule: 'roles:any(admin)' }),
        }),
      );
    });

    it('fails closed with a generic 500 when authorization runs before authentication', async () => {
      const res = await call('/rbac/admin', ADMIN, { headers: { 'x-skip-auth': '1' } });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
      expect(events).toContainEqual(expect.objectContaining({ type: 'INTERNAL_ERROR', reason: 'pipeline_misordered' }));
      const owned = await call('/docs/d-alice', ALICE, { headers: { 'x-skip-auth': '1' } });
      expect(owned.status).toBe(500);
    });
  });

  describe('ownership', () => {
    it('lets the owner read and hands the loaded resource to the handler without a second load', async () => {
      const res = await call('/docs/d-alice', ALICE);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 'd-alice', ownerId: 'alice' });
      expect(loads).toEqual(['d-alice']);
    });

    it('answers 404 for someone else’s record, identical to a missing one', async () => {
      const foreign = await call('/docs/d-bob', ALICE);
      const missing = await call('/docs/nope', ALICE);
      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      const strip = (b: unknown) => ({ ...(b as Record<string, unknown>), requestId: undefined });
      expect(strip(await foreign.json())).toEqual(strip(await missing.json()));
    });

    it('reports PERMISSION_DENIED with principal, resource type, id and rule', async () => {
      await call('/docs/d-bob', ALICE);
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'PERMISSION_DENIED',
          reason: 'not_owner',
          principalId: 'alice',
          details: { rule: 'owns:doc', resourceType: 'doc', resourceId: 'd-bob' },
        }),
      );
    });

    it('answers 403 when the route asks for it', async () => {
      const res = await call('/docs/d-bob/strict', ALICE);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'PERMISSION_DENIED' });
    });

    it('never lets an admin through implicitly, only where the route allows it', async () => {
      expect((await call('/docs/d-bob', ADMIN)).status).toBe(404);
      expect((await call('/docs/d-bob/admin-ok', ADMIN)).status).toBe(200);
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'OWNERSHIP_OVERRIDE',
          principalId: 'root',
          details: { rule: 'owns:doc', resourceType: 'doc', resourceId: 'd-bob', role: 'admin' },
        }),
      );
      expect((await call('/docs/d-bob/admin-ok', ALICE)).status).toBe(404);
    });

    it('supports DI loaders, async loading and several owners', async () => {
      expect((await call('/other/notes/n1', 'carol|user')).status).toBe(200);
      expect((await call('/other/notes/n1', 'dave|user')).status).toBe(404);
      expect((await call('/other/notes/n2', 'carol|user')).status).toBe(404);
    });

    it('answers 401 without a principal', async () => {
      expect((await call('/docs/d-alice')).status).toBe(401);
    });

    it('turns a throwing loader into a generic 500 and an event, never access', async () => {
      const res = await call('/other/broken/1', ADMIN);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toMatch(/hunter2|ECONNREFUSED/);
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'INTERNAL_ERROR',
          reason: 'authorization_resolver_failed',
          details: expect.objectContaining({ resourceType: 'broken', resourceId: '1', error: 'Error' }),
        }),
      );
    });

    it('lists only the caller’s records, everything for an explicit override role', async () => {
      const mine = (await (await call('/docs', ALICE)).json()) as Doc[];
      expect(mine.map((d) => d.id)).toEqual(['d-alice']);
      const all = (await (await call('/docs', ADMIN)).json()) as Doc[];
      expect(all).toHaveLength(3);
    });
  });

  describe('policies', () => {
    it.each([
      ['d-bob', ALICE, 200], // same department, not confidential
      ['d-bob-secret', ALICE, 404], // confidential
      ['d-bob', CAROL, 404], // other department
      ['d-bob-secret', BOB, 200], // owner
      ['d-bob-secret', ADMIN, 200], // admin by policy
      ['nope', BOB, 404],
    ])('doc.read on %s as %s → %i', async (id, user, status) => {
      expect((await call(`/docs/${id}/policy`, user)).status).toBe(status);
    });

    it('combines @Owns and @Policy on one load', async () => {
      expect((await call('/docs/d-bob-secret/owned-and-open', BOB)).status).toBe(404);
      expect(loads).toEqual(['d-bob-secret']);
      expect(events).toContainEqual(
        expect.objectContaining({
          reason: 'policy_denied',
          details: expect.objectContaining({ rule: 'policy:doc.not-confidential', resourceId: 'd-bob-secret' }),
        }),
      );
      expect((await call('/docs/d-bob/owned-and-open', BOB)).status).toBe(200);
    });

    it('turns a throwing policy into a generic 500', async () => {
      const res = await call('/other/policy-throws', ADMIN);
      expect(res.status).toBe(500);
      expect(events).toContainEqual(expect.objectContaining({ reason: 'authorization_resolver_failed' }));
    });
  });
});
