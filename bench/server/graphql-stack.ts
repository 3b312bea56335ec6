import 'reflect-metadata';
import { type DynamicModule, Injectable, Module } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Args,
  Field,
  GraphQLModule,
  ID,
  Int,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokenDefaultOptions } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type ValidationContext } from 'graphql';
import { SecurityGraphQL, SecurityModule } from 'nestjs-rampart';
import { onlyFeatures } from '../../test/fixtures/only-features';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, USER_ID } from '../lib/fixtures';
import type { ScenarioDef, StackName } from '../lib/scenarios';
import type { BuildContext, StackBuild } from './stack';

/**
 * The GraphQL scenario: one code-first schema shaped like the sample app's (`Document.owner`,
 * `User.documents(first)`, both `@ResolveField`s), served by Apollo on Express and by Mercurius on
 * Fastify, as `@nestjs/apollo` / `@nestjs/mercurius` set them up by default. The stacks differ only
 * in the protection around the same resolvers:
 *
 * - bare: no protection at all;
 * - usual: GraphQL Armor with its defaults. On Apollo, `new ApolloArmor().protect()` (its plugins
 *   and validation rules). Armor has no Mercurius integration (only Apollo and Envelop), so on
 *   Mercurius its four validation rules (depth, aliases, directives, cost) go in `validationRules`,
 *   rejecting the way its Apollo integration does (reported to the validation context), and its
 *   default token limit (1000) is graphql-js's own `parseOptions.maxTokens`: Armor enforces it with
 *   its own parser, which Mercurius cannot take;
 * - rampart: `SecurityModule` (JWT authentication, every other feature off) and
 *   `SecurityGraphQL.forRoot` with the default GraphQL limits, cost and a cost budget on the memory
 *   store, sized so that it never trips (the benchmark measures the admitted path).
 */

/** Documents every user owns in the benchmark's GraphQL data. */
const DOCUMENTS_PER_USER = 25;

interface DocumentRecord {
  id: string;
  title: string;
  ownerId: string;
}

interface UserRecord {
  id: string;
  username: string;
}

@ObjectType('User')
class BenchUser {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;
}

@ObjectType('Document')
class BenchGqlDocument {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  @Field(() => ID)
  ownerId!: string;
}

/** The GraphQL "database": two users with their documents. */
@Injectable()
class BenchGraphqlData {
  private readonly users = new Map<string, UserRecord>([
    [USER_ID, { id: USER_ID, username: 'alice' }],
    ['user-2', { id: 'user-2', username: 'bob' }],
  ]);
  private readonly documents: DocumentRecord[] = [...this.users.keys()].flatMap((ownerId) =>
    Array.from({ length: DOCUMENTS_PER_USER }, (_, i) => ({
      id: `${ownerId}-d${i}`,
      title: `Report ${i} of ${ownerId}`,
      ownerId,
    })),
  );

  user(id: string): UserRecord | undefined {
    return this.users.get(id);
  }

  documentsOf(ownerId: string, first: number): DocumentRecord[] {
    const found: DocumentRecord[] = [];
    for (const doc of this.documents) {
      if (found.length >= first) break;
      if (doc.ownerId === ownerId) found.push(doc);
    }
    return found;
  }
}

/** `first` clamped to 0..100, 20 when absent (as the sample app does). */
function clamp(first: number | undefined): number {
  if (first === undefined || first === null) return 20;
  return Math.max(0, Math.min(first, 100));
}

@Resolver(() => BenchGqlDocument)
class BenchDocumentsResolver {
  constructor(private readonly data: BenchGraphqlData) {}

  @Query(() => [BenchGqlDocument], { name: 'documents' })
  documents(@Args('first', { type: () => Int, nullable: true }) first?: number): DocumentRecord[] {
    return this.data.documentsOf(USER_ID, clamp(first));
  }

  @ResolveField('owner', () => BenchUser)
  owner(@Parent() doc: DocumentRecord): UserRecord {
    const user = this.data.user(doc.ownerId);
    if (!user) throw new Error(`no user ${doc.ownerId}`);
    return user;
  }
}

@Resolver(() => BenchUser)
class BenchUsersResolver {
  constructor(private readonly data: BenchGraphqlData) {}

  @ResolveField('documents', () => [BenchGqlDocument])
  documents(
    @Parent() user: UserRecord,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
  ): DocumentRecord[] {
    return this.data.documentsOf(user.id, clamp(first));
  }
}

const RESOLVERS = [BenchGraphqlData, BenchDocumentsResolver, BenchUsersResolver];

/** A budget that never trips: every request of the benchmark comes from one principal. */
const NEVER_TRIPS = { points: 1_000_000_000, windowSec: 60 };

/** Armor's rejection on its Apollo integration: reported to the validation context, a 400. */
const armorRejection = {
  propagateOnRejection: false,
  onReject: [
    (ctx: ValidationContext | null, error: GraphQLError): void =>
      ctx?.reportError(new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } })),
  ],
};

function graphqlModule(stack: StackName, ctx: BuildContext): DynamicModule[] {
  const apollo = ctx.adapter === 'express';
  switch (stack) {
    case 'bare':
      return [
        apollo
          ? GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true })
          : GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true }),
      ];
    case 'usual':
      return [
        apollo
          ? GraphQLModule.forRoot<ApolloDriverConfig>({
              driver: ApolloDriver,
              autoSchemaFile: true,
              // Armor's types come from @apollo/server's ESM build, @nestjs/apollo's from its CJS one.
              ...(new ApolloArmor().protect() as unknown as Partial<ApolloDriverConfig>),
            })
          : GraphQLModule.forRoot<MercuriusDriverConfig>({
              driver: MercuriusDriver,
              autoSchemaFile: true,
              validationRules: [
                costLimitRule(armorRejection),
                maxAliasesRule(armorRejection),
                maxDirectivesRule(armorRejection),
                maxDepthRule(armorRejection),
              ],
              graphql: { parseOptions: { maxTokens: maxTokenDefaultOptions.n } },
            }),
      ];
    case 'rampart': {
      const security = SecurityModule.forRoot(
        onlyFeatures({
          storage: { type: 'memory' },
          auth: { jwt: { secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE } },
          graphql: { budget: NEVER_TRIPS },
        }),
      );
      return [
        security,
        apollo
          ? GraphQLModule.forRootAsync<ApolloDriverConfig>(
              SecurityGraphQL.forRoot(security, { driver: ApolloDriver, autoSchemaFile: true }),
            )
          : GraphQLModule.forRootAsync<MercuriusDriverConfig>(
              SecurityGraphQL.forRoot(security, { driver: MercuriusDriver, autoSchemaFile: true }),
            ),
      ];
    }
    default: {
      const never: never = stack;
      throw new Error(`unknown stack ${String(never)}`);
    }
  }
}

/** Builds one stack's GraphQL app (Apollo on Express, Mercurius on Fastify). */
export function buildGraphql(stack: StackName, _scenario: ScenarioDef, ctx: BuildContext): StackBuild {
  @Module({ imports: graphqlModule(stack, ctx), providers: RESOLVERS })
  class GraphqlBenchModule {}
  return { status: 'ok', module: GraphqlBenchModule };
}
