import { defineFeature } from '../core/feature/security-feature.interface';
import { resolveGraphqlOptions } from './graphql.options';

/** GraphQL limits (applied by the rules from `createGraphqlValidationRules`). @internal */
export const graphqlFeature = defineFeature({
  key: 'graphql',
  resolve: resolveGraphqlOptions,
  enabled: (o) => o.enabled,
});
