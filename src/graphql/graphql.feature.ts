import { defineFeature } from '../core/feature/security-feature.interface';
import { PROTECTED_FIELD_CATALOG } from '../core/internal.constants';
import { GraphqlBudgetGuard } from './graphql-budget.guard';
import { resolveGraphqlOptions } from './graphql.options';
import { SecurityGraphQL } from './security-graphql.service';

/** Metadata key @nestjs/graphql writes on `@Query`/`@Mutation`/`@ResolveField` methods. */
const RESOLVER_TYPE_KEY = 'graphql:resolver_type';

/** The GraphQL layer: limits, cost, budget and error masking (`SecurityGraphQL`). @internal */
export const graphqlFeature = defineFeature({
  key: 'graphql',
  resolve: resolveGraphqlOptions,
  providers: [
    SecurityGraphQL,
    // The protected object type fields of the built schema, for the route inventory.
    { provide: PROTECTED_FIELD_CATALOG, useExisting: SecurityGraphQL },
  ],
  exports: [SecurityGraphQL],
  enhancers: {
    budgetGuard: {
      kind: 'guard',
      type: GraphqlBudgetGuard,
      // Only apps with resolvers pay for it.
      when: (o, routesUse) => o.enabled && o.budget !== false && routesUse(RESOLVER_TYPE_KEY),
    },
  },
  enabled: (o) => o.enabled,
});
