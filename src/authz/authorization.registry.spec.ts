import { Controller, Get, Injectable, Logger, Scope, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { SecurityModuleOptions } from '../security.options';
import { SecurityModule } from '../security.module';
import { AuthorizationRegistry } from './authorization.registry';
import { Owns } from './owns.decorator';
import { Policy } from './policy.decorator';
import { Permissions, Roles } from './roles.decorator';
import { SecurityResource } from './security-resource.decorator';

const quiet: SecurityModuleOptions = { events: { logger: false } };

async function boot(controllers: Type[], options: SecurityModuleOptions = {}, providers: Type[] = []) {
  const moduleRef = await Test.createTestingModule({
    imports: [SecurityModule.forRoot({ ...quiet, ...options })],
    controllers,
    providers,
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

const docs = { resources: { doc: { load: () => undefined } } };

describe('AuthorizationRegistry (boot validation)', () => {
  it('refuses an unknown role in @Roles()', async () => {
    @Controller()
    class TypoController {
      @Roles('admn')
      @Get()
      get() {}
    }
    await expect(boot([TypoController])).rejects.toThrow(SecurityConfigError);
    await expect(boot([TypoController])).rejects.toThrow(
      /@Roles\(\) on TypoController\.get names the unknown role "admn"\. Define it in authorization\.roles \(known roles: admin, editor, viewer\)/,
    );
  });

  it('refuses an unknown role on a controller-level @Roles()', async () => {
    @Roles('ghost')
    @Controller()
    class ClassLevelController {
      @Get()
      get() {}
    }
    await expect(boot([ClassLevelController])).rejects.toThrow(/unknown role "ghost"/);
  });

  it('refuses an empty @Permissions()', async () => {
    @Controller()
    class EmptyController {
      @Permissions({ any: [] })
      @Get()
      get() {}
    }
    await expect(boot([EmptyController])).rejects.toThrow(/has an empty @Permissions\(\)/);
  });

  it('refuses a permission no role grants (unless scopes may grant it)', async () => {
    @Controller()
    class TypoController {
      @Permissions('delte')
      @Get()
      get() {}
    }
    @Controller()
    class WildcardController {
      @Permissions('reports:export', 'read')
      @Get()
      get() {}
    }
    await expect(boot([TypoController])).rejects.toThrow(
      /@Permissions\(\) on TypoController\.get requires "delte", which no role in authorization\.roles grants/,
    );
    await expect(boot([TypoController], { authorization: { permissionsFromScopes: true } })).resolves.toBeDefined();
    const roles = { admin: { permissions: ['*'] }, viewer: { permissions: ['read'] } };
    await expect(boot([WildcardController], { authorization: { roles } })).resolves.toBeDefined();
  });

  it('refuses an unknown resource type in @Owns()', async () => {
    @Controller()
    class OwnsController {
      @Owns('documnet')
      @Get(':id')
      get() {}
    }
    await expect(boot([OwnsController], { authorization: docs })).rejects.toThrow(
      /@Owns\(\) on OwnsController\.get names the unknown resource type "documnet"/,
    );
  });

  it('refuses an unknown policy and an unknown override role', async () => {
    @Controller()
    class PolicyController {
      @Policy('doc.raed')
      @Get()
      get() {}
    }
    @Controller()
    class OverrideController {
      @Owns('doc', { overrideRoles: ['root'] })
      @Get(':id')
      get() {}
    }
    await expect(boot([PolicyController], { authorization: docs })).rejects.toThrow(
      /@Policy\(\) on PolicyController\.get names the unknown policy "doc\.raed"/,
    );
    await expect(boot([OverrideController], { authorization: docs })).rejects.toThrow(
      /overrideRoles on OverrideController\.get names the unknown role "root"/,
    );
  });

  it('refuses a rule reading a route parameter the route does not have', async () => {
    @Controller('docs')
    class ParamController {
      @Owns('doc', { param: 'docId' })
      @Get(':id')
      get() {}
    }
    @Controller('docs/:docId')
    class NestedController {
      @Owns('doc', { param: 'docId' })
      @Get('pages/:page')
      get() {}
    }
    await expect(boot([ParamController], { authorization: docs })).rejects.toThrow(
      /@Owns\(\) on ParamController\.get reads the route parameter "docId", which the route "docs\/:id" does not have/,
    );
    await expect(boot([NestedController], { authorization: docs })).resolves.toBeDefined();
  });

  it('warns (once, at boot) when authorization is disabled but routes declare rules', async () => {
    @Controller()
    class RulesController {
      @Roles('admin')
      @Get()
      get() {}
    }
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await boot([RulesController], { authorization: { enabled: false } });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/rules of 1 route\(s\) are NOT enforced/));
    warn.mockRestore();
  });

  it('refuses two loaders for one resource type', async () => {
    @SecurityResource('doc')
    @Injectable()
    class DocLoader {
      load() {
        return undefined;
      }
    }
    await expect(boot([], { authorization: docs }, [DocLoader])).rejects.toThrow(
      /registers "doc", which already has a loader/,
    );
  });

  it('refuses a request-scoped or method-less loader', async () => {
    @SecurityResource('doc')
    @Injectable({ scope: Scope.REQUEST })
    class ScopedLoader {
      load() {
        return undefined;
      }
    }
    @SecurityResource('doc')
    @Injectable()
    class NoLoad {}
    await expect(boot([], {}, [ScopedLoader])).rejects.toThrow(
      /is not a singleton provider with a load\(id, ctx\) method/,
    );
    await expect(boot([], {}, [NoLoad])).rejects.toThrow(/is not a singleton provider/);
  });

  it('skips validation when authorization is disabled', async () => {
    @Controller()
    class TypoController {
      @Roles('admn')
      @Get()
      get() {}
    }
    await expect(boot([TypoController], { authorization: { enabled: false } })).resolves.toBeDefined();
  });

  it('discovers DI loaders and caches compiled rules per handler', async () => {
    @SecurityResource('note')
    @Injectable()
    class NoteLoader {
      load(id: string) {
        return { id, ownerId: 'u1' };
      }
    }
    @Controller()
    class NotesController {
      @Owns('note')
      @Roles('viewer')
      @Get(':id')
      get() {}
    }
    const moduleRef = await boot([NotesController], {}, [NoteLoader]);
    const registry = moduleRef.get(AuthorizationRegistry);
    expect(registry.loader('note')).toBeInstanceOf(NoteLoader);
    const handler = NotesController.prototype.get;
    const rules = registry.rulesFor(NotesController, handler);
    expect(rules).toBe(registry.rulesFor(NotesController, handler));
    expect(rules.owns.map((r) => r.rule)).toEqual(['owns:note']);
    expect(rules.roles?.rule).toBe('roles:any(viewer)');
    expect(rules.hasAccessRules && rules.hasResourceRules).toBe(true);
  });
});
