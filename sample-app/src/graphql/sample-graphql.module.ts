import type { DynamicModule } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { SecurityGraphQL } from 'nestjs-rampart';

/**
 * `POST /graphql`: Apollo on Express, Mercurius on Fastify, both wired by `SecurityGraphQL` to the
 * app's own `SecurityModule` (the same value the app imports: no global module needed).
 */
export function sampleGraphqlModule(security: DynamicModule, adapter: 'express' | 'fastify'): DynamicModule {
  if (adapter === 'fastify') {
    return GraphQLModule.forRootAsync<MercuriusDriverConfig>(
      SecurityGraphQL.forRoot(security, { driver: MercuriusDriver, autoSchemaFile: true }),
    );
  }
  return GraphQLModule.forRootAsync<ApolloDriverConfig>(
    SecurityGraphQL.forRoot(security, { driver: ApolloDriver, autoSchemaFile: true }),
  );
}
