import { Module } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, Field, GraphQLModule, ID, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { Audit, Public, SecurityGraphQL, SecurityModule, TokenService, type SecurityEvent } from 'nestjs-rampart';
import { codes, gql } from '../fixtures/graphql/graphql-client';
import { ADAPTERS, bootApp, type AdapterName } from '../utils/app';

// Own file: these object types land in @nestjs/graphql's global type storage, which every schema
// built in the same Jest module registry would see.

@ObjectType()
class Vault {
  @Field(() => ID)
  id!: string;
}

const calls = { contents: 0 };

@Resolver(() => Vault)
class VaultResolver {
  @Query(() => [Vault])
  vaults(): Vault[] {
    return [{ id: 'v1' }, { id: 'v2' }];
  }

  @Public()
  @Query(() => Vault)
  openVault(): Vault {
    return { id: 'v9' };
  }

  /** Audited per call: the resource id is read from the `id` argument. */
  @Audit('vault.contents.read')
  @ResolveField(() => String, { nullable: true })
  contents(@Parent() vault: Vault, @Args('id', { type: () => ID, nullable: true }) id?: string): string {
    calls.contents += 1;
    if (id === 'boom') throw new Error('vault jammed');
    return `contents of ${vault.id}`;
  }
}

/**
 * `@Audit()` on a `@ResolveField` needs Nest's interceptors on field resolvers, which the app turns
 * on with `fieldResolverEnhancers: ['interceptors']` (SecurityGraphQL adds `'guards'` to the list).
 */
function app(adapter: AdapterName, events: SecurityEvent[]) {
  const security = SecurityModule.forRoot({
    auth: { jwt: { secret: 'field-audit-secret-field-audit-secret' } },
    events: { logger: false, sinks: [(e) => events.push(e)] },
  });
  const enhancers = { fieldResolverEnhancers: ['interceptors' as const] };
  const graphql =
    adapter === 'fastify'
      ? GraphQLModule.forRootAsync<MercuriusDriverConfig>(
          SecurityGraphQL.forRoot(security, { driver: MercuriusDriver, autoSchemaFile: true, ...enhancers }),
        )
      : GraphQLModule.forRootAsync<ApolloDriverConfig>(
          SecurityGraphQL.forRoot(security, { driver: ApolloDriver, autoSchemaFile: true, ...enhancers }),
        );
  @Module({ imports: [security, graphql], providers: [VaultResolver] })
  class FieldAuditModule {}
  return FieldAuditModule;
}

describe.each(ADAPTERS)('@Audit on a GraphQL field resolver (%s)', (adapter) => {
  const events: SecurityEvent[] = [];
  let close: () => Promise<void>;
  let url: string;
  let token: string;

  beforeAll(async () => {
    const booted = await bootApp(adapter, app(adapter, events));
    ({ url } = booted);
    close = () => booted.app.close();
    token = (await booted.app.get(TokenService).issue({ id: 'u1', roles: [] })).accessToken;
  });
  afterAll(() => close());

  const audits = () => events.filter((e) => e.type === 'AUDIT').map((e) => [e.outcome, e.principalId, e.details]);

  it('emits one AUDIT event per call of the field, success or failure, with the argument as resource id', async () => {
    events.length = 0;
    const res = await gql(url, '{ vaults { id contents(id: "k1") } }', { token });
    expect(res.body.data).toEqual({
      vaults: [
        { id: 'v1', contents: 'contents of v1' },
        { id: 'v2', contents: 'contents of v2' },
      ],
    });
    const failed = await gql(url, '{ vaults { id contents(id: "boom") } }', { token });
    expect(codes(failed)).toEqual(['INTERNAL_ERROR', 'INTERNAL_ERROR']);
    const success = { action: 'vault.contents.read', resource: 'vault', resourceId: 'k1', status: 200 };
    const failure = { action: 'vault.contents.read', resource: 'vault', resourceId: 'boom', status: 500 };
    expect(audits()).toEqual([
      ['success', 'u1', success],
      ['success', 'u1', success],
      ['failure', 'u1', failure],
      ['failure', 'u1', failure],
    ]);
  });

  it('emits nothing for a field the guards refused (the resolver never ran)', async () => {
    events.length = 0;
    const before = calls.contents;
    const res = await gql(url, '{ openVault { id contents(id: "k2") } }');
    expect(res.body.data).toEqual({ openVault: { id: 'v9', contents: null } });
    expect(codes(res)).toEqual(['AUTHENTICATION_REQUIRED']);
    expect(calls.contents).toBe(before);
    expect(audits()).toEqual([]);
  });
});
