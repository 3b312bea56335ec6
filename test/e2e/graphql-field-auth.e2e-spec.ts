import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import {
  Permissions,
  Public,
  Roles,
  SecurityGraphQL,
  SecurityInventory,
  SecurityModule,
  type InventoryDocument,
  type SecurityModuleOptions,
} from 'nestjs-rampart';
import { codes, gql } from '../fixtures/graphql/graphql-client';
import { ADAPTERS, bootApp, type AdapterName } from '../utils/app';

// Own file: these object types land in @nestjs/graphql's global type storage, which every schema
// built in the same Jest module registry would see.

@ObjectType()
class Profile {
  @Field()
  name!: string;

  /** Non-null and protected: a refusal would null the parent, so the app must not boot. */
  @Roles('admin')
  @Field(() => String)
  salary!: string;
}

@ObjectType()
class Badge {
  @Roles('admin')
  @Field(() => String, { nullable: true })
  serial?: string;
}

@ObjectType()
class Ledger {
  @Field()
  id!: string;

  @Permissions('ledger:read')
  @Field(() => String, { nullable: true, name: 'total' })
  balance?: string;

  /** Protected on the property and resolved by a @ResolveField with its own rule: both apply. */
  @Roles('admin')
  @Field(() => String, { nullable: true })
  note?: string;
}

@Resolver(() => Ledger)
class LedgerResolver {
  @Query(() => Ledger)
  ledger(): Ledger {
    return { id: 'l1', balance: '10' };
  }

  @Permissions('ledger:read')
  @ResolveField('note', () => String, { nullable: true })
  ledgerNote(): string {
    return 'n';
  }
}

@Resolver()
class ProfileResolver {
  @Public()
  @Query(() => Profile)
  profile(): Profile {
    return { name: 'ann', salary: '1' };
  }
}

@Resolver()
class BadgeResolver {
  @Public()
  @Query(() => Badge)
  badge(): Badge {
    return { serial: 'b-1' };
  }
}

function app(adapter: AdapterName, resolver: new () => unknown, options: SecurityModuleOptions) {
  const security = SecurityModule.forRoot({
    auth: { jwt: { secret: 'field-auth-secret-field-auth-secret!!' } },
    ...options,
  });
  const graphql =
    adapter === 'fastify'
      ? GraphQLModule.forRootAsync<MercuriusDriverConfig>(
          SecurityGraphQL.forRoot(security, { driver: MercuriusDriver, autoSchemaFile: true }),
        )
      : GraphQLModule.forRootAsync<ApolloDriverConfig>(
          SecurityGraphQL.forRoot(security, { driver: ApolloDriver, autoSchemaFile: true }),
        );
  @Module({ imports: [security, graphql], providers: [resolver] })
  class FieldAuthModule {}
  return FieldAuthModule;
}

const roles = { authorization: { roles: { admin: { permissions: [] } } } };

describe.each(ADAPTERS)('GraphQL field authorization at boot (%s)', (adapter) => {
  it('refuses @Roles on a non-null object field', async () => {
    await expect(bootApp(adapter, app(adapter, ProfileResolver, roles))).rejects.toThrow(
      /@Roles\(\)\/@Permissions\(\) on Profile\.salary protect a non-null field.*nullable/,
    );
  });

  it('refuses an unknown role on an object field', async () => {
    const other = { authorization: { roles: { user: { permissions: [] } } } };
    await expect(bootApp(adapter, app(adapter, BadgeResolver, other))).rejects.toThrow(
      /@Roles\(\) on Badge\.serial names the unknown role "admin"/,
    );
  });

  it('refuses a protected field to an anonymous caller, and every caller when authorization is disabled', async () => {
    const cases: [SecurityModuleOptions, string][] = [
      [roles, 'AUTHENTICATION_REQUIRED'],
      [{ authorization: { enabled: false } }, 'PERMISSION_DENIED'],
    ];
    for (const [options, code] of cases) {
      const { app: booted, url } = await bootApp(adapter, app(adapter, BadgeResolver, options));
      try {
        const res = await gql(url, '{ badge { serial } }');
        expect(res.body.data).toEqual({ badge: { serial: null } });
        expect(codes(res)).toEqual([code]);
      } finally {
        await booted.close();
      }
    }
  });
});

describe.each(ADAPTERS)('GraphQL protected object fields in the inventory (%s)', (adapter) => {
  it('lists a protected property like a field resolver, with its rules, in the API and the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-field-inventory-'));
    const file = join(dir, 'inventory.json');
    const options = {
      authorization: { roles: { admin: { permissions: ['ledger:read'] } } },
      inventory: { file },
    };
    const { app: booted } = await bootApp(adapter, app(adapter, LedgerResolver, options));
    try {
      const listed = booted.get(SecurityInventory).routes();
      const expected = {
        id: 'field Ledger.total',
        kind: 'graphql',
        method: 'field',
        path: 'Ledger.total',
        controller: 'Ledger',
        handler: 'balance',
        public: false,
        authentication: ['jwt'],
        roles: [],
        permissions: ['ledger:read'],
        warnings: [],
      };
      expect(listed.find((r) => r.path === 'Ledger.total')).toMatchObject(expected);
      // Only protected properties are listed, not their unprotected siblings; a property with a
      // field resolver is listed once, as the resolver, with both rules.
      expect(listed.filter((r) => r.path.startsWith('Ledger.')).map((r) => r.id)).toEqual([
        'field Ledger.note',
        'field Ledger.total',
      ]);
      expect(listed.find((r) => r.id === 'field Ledger.note')).toMatchObject({
        controller: 'LedgerResolver',
        handler: 'ledgerNote',
        roles: ['admin'],
        permissions: ['ledger:read'],
      });
      const written = JSON.parse(readFileSync(file, 'utf8')) as InventoryDocument;
      expect(written.routes.find((r) => r.id === 'field Ledger.total')).toMatchObject(expected);
    } finally {
      await booted.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
