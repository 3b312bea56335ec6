import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, Mutation, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { Expose, Transform } from 'class-transformer';
import { AllowSensitiveFields, Idempotent, Public, SecurityGraphQL, SecurityModule, Serialize } from 'nestjs-rampart';
import { gql } from '../fixtures/graphql/graphql-client';
import { ADAPTERS, bootApp, type AdapterName } from '../utils/app';

@ObjectType()
class Session {
  @Field()
  accessToken!: string;
  @Field(() => String, { nullable: true })
  refreshToken?: string;
  @Field(() => String, { nullable: true })
  password?: string;
}

@ObjectType()
class Profile {
  @Field()
  id!: string;
  @Field(() => String, { nullable: true })
  name?: string;
  @Field(() => String, { nullable: true })
  department?: string;
  @Field(() => String, { nullable: true })
  password?: string;
}

/** Not idempotent on purpose: a result filtered twice would read `ann!!`. */
class ProfileResponse {
  @Expose() id!: string;
  @Expose() @Transform(({ value }) => `${String(value)}!`, { toPlainOnly: true }) name!: string;
}

let orders = 0;

@Public()
@Resolver()
class FilteringResolver {
  @AllowSensitiveFields('refreshToken')
  @Mutation(() => Session)
  login(): Session {
    return { accessToken: 'a', refreshToken: 'r', password: 'p' };
  }

  @Query(() => Session)
  session(): Session {
    return { accessToken: 'a', refreshToken: 'r', password: 'p' };
  }

  @Serialize(ProfileResponse)
  @Query(() => Profile)
  profile(): Profile {
    return { id: 'u1', name: 'ann', department: 'sales', password: 'p' };
  }

  @Idempotent()
  @Serialize(ProfileResponse)
  @Mutation(() => Profile)
  order(): Profile {
    orders++;
    return { id: 'o1', name: 'ann', department: 'sales', password: 'p' };
  }
}

@ObjectType()
class Keeper {
  @Field()
  name!: string;
  @Field(() => String, { nullable: true })
  password?: string;
}

/** Field resolvers on `Session`: their results are filtered with their own rules. */
@Public()
@Resolver(() => Session)
class SessionFieldsResolver {
  @ResolveField(() => Keeper)
  keeper(): Keeper {
    return { name: 'kim', password: 'p' };
  }

  /** Named like a secret: reads null, whatever it returns. */
  @ResolveField(() => String, { nullable: true })
  apiKey(): string {
    return 'ak_live_leaked';
  }

  /** Named like a secret, and allowed by its own resolver. */
  @AllowSensitiveFields('secret')
  @ResolveField(() => String, { nullable: true })
  secret(): string {
    return 'shown';
  }
}

@Module({})
class GraphqlFilteringModule {}

function app(adapter: AdapterName): DynamicModule {
  const security = SecurityModule.forRoot({ events: { logger: false } });
  const graphql =
    adapter === 'fastify'
      ? GraphQLModule.forRootAsync<MercuriusDriverConfig>(
          SecurityGraphQL.forRoot(security, { driver: MercuriusDriver, autoSchemaFile: true }),
        )
      : GraphQLModule.forRootAsync<ApolloDriverConfig>(
          SecurityGraphQL.forRoot(security, { driver: ApolloDriver, autoSchemaFile: true }),
        );
  return {
    module: GraphqlFilteringModule,
    imports: [security, graphql],
    providers: [FilteringResolver, SessionFieldsResolver],
  };
}

describe.each(ADAPTERS)('GraphQL response filtering (%s)', (adapter) => {
  let nest: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app: nest, url } = await bootApp(adapter, app(adapter)));
  });
  afterAll(() => nest?.close());

  it('lets a resolver hand out the secrets it names, and only that resolver', async () => {
    const query = 'mutation { login { accessToken refreshToken password } }';
    expect((await gql(url, query)).body.data).toEqual({
      login: { accessToken: 'a', refreshToken: 'r', password: null },
    });
    const both = await gql(url, '{ a: session { refreshToken } b: session { accessToken } }');
    expect(both.body.data).toEqual({ a: { refreshToken: null }, b: { accessToken: 'a' } });
  });

  it('filters what a @ResolveField returns, and nulls a field resolver named like a secret', async () => {
    const res = await gql(url, '{ session { accessToken keeper { name password } apiKey secret } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({
      session: { accessToken: 'a', keeper: { name: 'kim', password: null }, apiKey: null, secret: 'shown' },
    });
    expect(JSON.stringify(res.body)).not.toContain('ak_live_leaked');
  });

  it('returns only the fields the resolver DTO exposes, filtered once', async () => {
    const res = await gql(url, '{ profile { id name department password } }');
    expect(res.body.data).toEqual({ profile: { id: 'u1', name: 'ann!', department: null, password: null } });
  });

  it('stores the filtered result of an idempotent mutation and replays it, not filtered again', async () => {
    const headers = { 'idempotency-key': `gql-${adapter}-${Date.now()}` };
    const query = 'mutation { order { id name department password } }';
    const expected = { order: { id: 'o1', name: 'ann!', department: null, password: null } };
    const before = orders;
    const first = await gql(url, query, { headers });
    expect(first.body.data).toEqual(expected);
    const replay = await gql(url, query, { headers });
    expect(replay.body.data).toEqual(expected);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(orders).toBe(before + 1);
  });
});
