import { createHash } from 'node:crypto';
import { type DynamicModule, Inject, Injectable, Logger, Optional, type Type } from '@nestjs/common';
import type { DocumentNode, GraphQLSchema, ValidationRule } from 'graphql';
import { defaultCodeForStatus } from '../core/errors/error-codes';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type {
  FieldAccessPolicy,
  ProtectedFieldCatalog,
  ProtectedObjectField,
} from '../core/context/field-access.interface';
import { FIELD_ACCESS_POLICY } from '../core/internal.constants';
import { SECURITY_OPTIONS } from '../core/security.constants';
import type { BudgetState, OperationCost } from './graphql-budget.guard';
import { OperationCostCache, selectOperation } from './graphql-cost.util';
import { statusOf, toClientError, type ClientGraphqlError } from './graphql-errors.util';
import { protectObjectFields } from './graphql-field-access.util';
import { filterResolverResults } from './graphql-response-filter.util';
import { createGraphqlValidationRules } from './graphql-limits.rules';
import { GRAPHQL_COST, GraphqlErrorCode } from './graphql.constants';
import type { ResolvedGraphqlOptions } from './graphql.options';
import { loadGraphql } from './load-graphql.util';

/** The GraphQL servers `SecurityGraphQL` configures. @publicApi */
export type GraphqlServerKind = 'apollo' | 'mercurius';

type Config = Record<string, unknown>;
type ContextObject = Record<string | symbol, unknown>;

/** What `SecurityGraphQL.forRoot` returns: options for `GraphQLModule.forRootAsync`. @publicApi */
export interface SecurityGraphqlAsyncOptions<T> {
  driver: Type;
  imports: DynamicModule[];
  inject: [typeof SecurityGraphQL];
  useFactory: (graphql: SecurityGraphQL) => T;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** `apollo` or `mercurius`, from the driver class or one of its base classes. */
function kindOf(driver: Type): GraphqlServerKind {
  for (let type: unknown = driver; typeof type === 'function'; type = Object.getPrototypeOf(type)) {
    const name = (type as { name?: string }).name ?? '';
    if (name.startsWith('Apollo')) return 'apollo';
    if (name.startsWith('Mercurius')) return 'mercurius';
  }
  throw SecurityConfigError.create(
    'SecurityGraphQL.forRoot',
    `cannot tell which server the driver ${driver.name} runs`,
    'Use ApolloDriver (@nestjs/apollo) or MercuriusDriver (@nestjs/mercurius), or call SecurityGraphQL.apollo()/mercurius() yourself',
  );
}

/**
 * Wires the security layer into `GraphQLModule` for Apollo (`@nestjs/apollo`, Express or Fastify)
 * or Mercurius (`@nestjs/mercurius`, Fastify): the document limits (depth, aliases, directives,
 * tokens in the parser, batch size), introspection and field suggestions (off in production), the
 * schema-aware cost computed with the request's variables before execution (refused above
 * `graphql.maxCost`) and charged to the caller's budget, error masking (every error gets an
 * `extensions.code`, none a stack trace or an internal message), CSRF prevention, the request and
 * response in the context, and guards on field resolvers (`fieldResolverEnhancers: ['guards']`),
 * so `@Public`, `@Roles`, `@Permissions`, `@Scopes`, `@Owns`, `@Policy` and `@RateLimit` work on
 * queries, mutations and `@ResolveField`s. Your own options are kept: rules, plugins, hooks and
 * context are merged, never replaced.
 *
 * @example
 * ```ts
 * const security = SecurityModule.forRoot({ auth: { jwt: { secret: process.env.JWT_SECRET! } } });
 *
 * @Module({
 *   imports: [
 *     security,
 *     GraphQLModule.forRootAsync(SecurityGraphQL.forRoot(security, { driver: ApolloDriver, autoSchemaFile: true })),
 *   ],
 * })
 * export class AppModule {}
 * ```
 * @publicApi
 */
@Injectable()
export class SecurityGraphQL implements ProtectedFieldCatalog {
  private readonly logger = new Logger('SecurityGraphQL');
  /** Costs of the variable-free operations of the documents the server cached. */
  private readonly costs: OperationCostCache;
  /** Filled when the schema is built (`transformSchema`). */
  private protectedObjectFields: readonly ProtectedObjectField[] | undefined;

  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: { graphql: ResolvedGraphqlOptions },
    @Optional() @Inject(FIELD_ACCESS_POLICY) private readonly fieldAccess?: FieldAccessPolicy,
  ) {
    this.costs = new OperationCostCache(options.graphql);
  }

  /** Built when a server is configured: apps without GraphQL never load the optional peer. */
  private rules(): ValidationRule[] {
    return createGraphqlValidationRules(this.options.graphql);
  }

  /**
   * Options for `GraphQLModule.forRootAsync()`: `security` is the same `SecurityModule.forRoot()`
   * (or `forRootAsync()`) value the app imports, so the GraphQL module sees it without making it
   * global. `config` is your driver configuration (`driver`, `autoSchemaFile`, ...).
   */
  static forRoot<T extends { driver: Type }>(
    security: DynamicModule,
    config: T,
  ): SecurityGraphqlAsyncOptions<Omit<T, 'driver'>> {
    const { driver, ...rest } = config;
    const kind = kindOf(driver);
    return {
      driver,
      imports: [security],
      inject: [SecurityGraphQL],
      useFactory: (graphql) => graphql.configure(kind, rest),
    };
  }

  /** `config` with the security layer for `kind`. */
  configure<T extends object>(kind: GraphqlServerKind, config: T): T {
    const c = config as Config;
    if (this.options.graphql.enabled && (c.subscriptions !== undefined || c.subscription !== undefined)) {
      // WebSocket operations bypass the HTTP plugins and hooks: say so rather than look covered.
      this.logger.warn(
        'Subscriptions over WebSocket are not covered: no document limits, cost or budget at subscribe time (docs/graphql.md)',
      );
    }
    return kind === 'apollo' ? this.apollo(config) : this.mercurius(config);
  }

  /** Apollo Server options (`@nestjs/apollo`, Express or Fastify) with the security layer. */
  apollo<T extends object>(config: T): T {
    const g = this.options.graphql;
    if (!g.enabled) return this.filteringOnly(config);
    const user = config as Config;
    const userFormat = user.formatError as ((formatted: unknown, error: unknown) => unknown) | undefined;
    return {
      ...config,
      fieldResolverEnhancers: this.enhancers(user.fieldResolverEnhancers),
      context: this.context(user.context),
      transformSchema: this.transformSchema(user.transformSchema),
      validationRules: [...asArray(user.validationRules), ...this.rules()],
      parseOptions: { ...(user.parseOptions as object), maxTokens: g.maxTokens },
      introspection: g.introspection,
      hideSchemaDetailsFromClientErrors: !g.suggestions,
      includeStacktraceInErrorResponses: false,
      allowBatchedHttpRequests: g.maxBatchSize > 1,
      csrfPrevention: user.csrfPrevention ?? true,
      autoTransformHttpErrors: false,
      ...(g.production ? { graphiql: false, playground: false } : {}),
      formatError: (_formatted: unknown, error: unknown) => {
        const shown = this.format(error);
        return userFormat ? userFormat(shown, error) : shown;
      },
      plugins: [...asArray(user.plugins), this.apolloPlugin()],
    };
  }

  /** Mercurius options (`@nestjs/mercurius`, Fastify) with the security layer. */
  mercurius<T extends object>(config: T): T {
    const g = this.options.graphql;
    if (!g.enabled) return this.filteringOnly(config);
    const user = config as Config;
    const graphqlOptions = (user.graphql ?? {}) as { parseOptions?: object; validateOptions?: object };
    const hooks = (user.hooks ?? {}) as Record<string, unknown>;
    return {
      ...config,
      fieldResolverEnhancers: this.enhancers(user.fieldResolverEnhancers),
      context: this.context(user.context),
      transformSchema: this.transformSchema(user.transformSchema),
      validationRules: [...asArray(user.validationRules), ...this.rules()],
      graphql: {
        ...graphqlOptions,
        parseOptions: { ...graphqlOptions.parseOptions, maxTokens: g.maxTokens },
        validateOptions: { ...graphqlOptions.validateOptions, hideSuggestions: !g.suggestions },
      },
      allowBatchedQueries: g.maxBatchSize > 1,
      csrfPrevention: user.csrfPrevention ?? true,
      ...(g.production ? { graphiql: false, ide: false } : {}),
      errorFormatter: (execution: { data?: unknown; errors?: readonly unknown[] }) => this.mercuriusErrors(execution),
      hooks: this.mercuriusHooks(hooks),
    };
  }

  /**
   * Your Mercurius hooks with the layer's. Mercurius runs each hook kind through an async runner
   * per request once any hook of that kind exists, so a hook with nothing to do is not added: the
   * trusted-document check only with `trustedDocuments`, the `rateLimit` extension only with a
   * budget.
   */
  private mercuriusHooks(hooks: Record<string, unknown>): Record<string, unknown> {
    const g = this.options.graphql;
    return {
      ...hooks,
      ...(g.trustedDocuments
        ? {
            preParsing: [
              ...asArray(hooks.preParsing),
              (_schema: GraphQLSchema, source: string) => this.checkTrusted(source),
            ],
          }
        : {}),
      preExecution: [
        ...asArray(hooks.preExecution),
        (schema: GraphQLSchema, document: DocumentNode, context: ContextObject, variables?: Record<string, unknown>) =>
          this.measure(schema, document, undefined, variables, context),
      ],
      ...(g.budget
        ? {
            onResolution: [
              ...asArray(hooks.onResolution),
              (execution: { extensions?: Record<string, unknown> }, context: ContextObject) => {
                const state = (context[GRAPHQL_COST] as OperationCost | undefined)?.state;
                if (state) execution.extensions = { ...execution.extensions, rateLimit: state };
              },
            ],
          }
        : {}),
    };
  }

  /** Any error as the client may see it. */
  format(error: unknown): ClientGraphqlError {
    const shown = toClientError(error, this.options.graphql.suggestions);
    if (shown.extensions.code === 'INTERNAL_ERROR') {
      const cause = error instanceof Error ? ((error as { originalError?: unknown }).originalError ?? error) : error;
      this.logger.error(
        `Unhandled ${cause instanceof Error ? cause.constructor.name : typeof cause} in a GraphQL operation`,
      );
    }
    return shown;
  }

  /**
   * The object type fields the served schema protects with a property `@Roles()` /
   * `@Permissions()` (what the route inventory lists), or `undefined` before the schema is built.
   *
   * @internal
   */
  protectedFields(): readonly ProtectedObjectField[] | undefined {
    return this.fieldAccess ? this.protectedObjectFields : [];
  }

  /** Field resolvers get the global guards (field-level `@Roles`); the root ones always did. */
  private enhancers(given: unknown): string[] {
    const list = asArray(given).filter((e): e is string => typeof e === 'string');
    return list.includes('guards') ? list : [...list, 'guards'];
  }

  /** With the GraphQL layer off: only response filtering (a feature of its own) is applied. */
  private filteringOnly<T extends object>(config: T): T {
    const given = (config as Config).transformSchema;
    const user =
      typeof given === 'function' ? (given as (s: GraphQLSchema) => GraphQLSchema | Promise<GraphQLSchema>) : undefined;
    return {
      ...config,
      transformSchema: async (schema: GraphQLSchema) => filterResolverResults(user ? await user(schema) : schema),
    };
  }

  /**
   * Your `transformSchema`, then response filtering on query and mutation results, then
   * `@Roles()` / `@Permissions()` on object type properties applied.
   */
  private transformSchema(given: unknown): (schema: GraphQLSchema) => Promise<GraphQLSchema> {
    const user =
      typeof given === 'function' ? (given as (s: GraphQLSchema) => GraphQLSchema | Promise<GraphQLSchema>) : undefined;
    return async (schema) => {
      // What query, mutation and field resolvers return goes through the route's response filter.
      const transformed = filterResolverResults(user ? await user(schema) : schema);
      if (!this.fieldAccess) return transformed;
      const found: ProtectedObjectField[] = [];
      const protectedSchema = protectObjectFields(transformed, this.fieldAccess, found);
      this.protectedObjectFields = found;
      return protectedSchema;
    };
  }

  /**
   * The context: `req` and `res` (Express: `{ req, res }`; Fastify: `(request, reply)`), merged
   * with the app's own context. Refuses batches larger than `maxBatchSize` before anything runs.
   */
  private context(userContext: unknown): (...args: unknown[]) => Promise<ContextObject> {
    return async (...args: unknown[]) => {
      const first = args[0] as { req?: unknown; res?: unknown; body?: unknown } | undefined;
      const req = (first?.req ?? first) as { body?: unknown } | undefined;
      const res = first?.req ? first.res : args[1];
      const body = req?.body;
      // Mercurius' error handler builds the context again to format the refusal: refuse once,
      // then let it build the context, so the refusal gets the GraphQL error shape.
      if (Array.isArray(body) && body.length > this.options.graphql.maxBatchSize && markRefused(req)) {
        throw this.error(
          GraphqlErrorCode.BATCH_LIMIT,
          `Too many operations in one request (maximum ${this.options.graphql.maxBatchSize})`,
        );
      }
      const own =
        typeof userContext === 'function'
          ? ((await (userContext as (...a: unknown[]) => unknown)(...args)) as ContextObject | undefined)
          : (userContext as ContextObject | undefined);
      return { ...own, req, res };
    };
  }

  private apolloPlugin(): object {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async (rc: {
          schema: GraphQLSchema;
          source?: string;
          document: DocumentNode;
          operationName?: string | null;
          request: { variables?: Record<string, unknown> };
          contextValue: ContextObject;
        }) => {
          this.checkTrusted(rc.source);
          this.measure(rc.schema, rc.document, rc.operationName, rc.request.variables, rc.contextValue);
        },
        // The `rateLimit` extension: only a budget sets it.
        ...(this.options.graphql.budget ? { willSendResponse: addRateLimitExtension } : {}),
      }),
    };
  }

  /** With `trustedDocuments`, refuses a document whose hash is not listed (before execution). */
  private checkTrusted(source: string | undefined): void {
    const trusted = this.options.graphql.trustedDocuments;
    if (!trusted) return;
    if (source !== undefined && trusted.has(createHash('sha256').update(source).digest('hex'))) return;
    throw this.error(GraphqlErrorCode.UNTRUSTED_DOCUMENT, 'This operation is not a trusted document');
  }

  /** Computes the operation's cost before execution; refuses it above `maxCost`. */
  private measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | undefined,
    context: ContextObject,
  ): void {
    const g = this.options.graphql;
    const operation = selectOperation(document, operationName);
    if (!operation) return;
    const cost = this.costs.cost(schema, document, operation, variables ?? {});
    if (cost > g.maxCost) {
      throw this.error(GraphqlErrorCode.COST_LIMIT, `Query is too expensive (maximum cost ${g.maxCost})`, {
        // Counting stops just past the limit: `cost` is a lower bound.
        cost,
        maxCost: g.maxCost,
      });
    }
    context[GRAPHQL_COST] = { cost } satisfies OperationCost;
  }

  private error(code: string, message: string, extra: Record<string, unknown> = {}): Error {
    const { GraphQLError } = loadGraphql();
    const error = new GraphQLError(message, { extensions: { code, ...extra, http: { status: 400 } } });
    // Apollo reads `extensions.http`; Fastify's error handler (Mercurius context errors) `statusCode`.
    return Object.assign(error, { statusCode: 400 });
  }

  private mercuriusErrors(execution: { data?: unknown; errors?: readonly unknown[] }): {
    statusCode: number;
    response: { data: unknown; errors: ClientGraphqlError[] };
  } {
    const errors: ClientGraphqlError[] = [];
    let requestStatus: number | undefined;
    for (const error of execution.errors ?? []) {
      // Mercurius refuses requests with one Fastify error (`MER_ERR_*`, a 4xx `statusCode`) whose
      // `errors` are the reasons: GraphQL errors (validation), or its own messages (GET mutation).
      const wrapper = (error as { originalError?: { errors?: unknown; statusCode?: unknown; code?: unknown } })
        .originalError;
      const status = typeof wrapper?.statusCode === 'number' ? wrapper.statusCode : undefined;
      const mercuriusOwn = typeof wrapper?.code === 'string' && wrapper.code.startsWith('MER_ERR_');
      if (mercuriusOwn && status !== undefined && status >= 400 && status < 500) requestStatus ??= status;
      const list = Array.isArray(wrapper?.errors) ? wrapper.errors : [error];
      for (const one of list) {
        const shown = this.format(one);
        if (mercuriusOwn && shown.extensions.code === 'INTERNAL_ERROR' && status !== undefined && status < 500) {
          errors.push(mercuriusRefusal(one, status));
        } else errors.push(shown);
      }
    }
    const data = execution.data ?? null;
    // Execution errors (with a path) answer 200, as on Apollo; request errors their 4xx, never a 5xx.
    const executed = data !== null || errors.some((e) => e.path !== undefined);
    const statusCode = executed || errors.length === 0 ? 200 : (requestStatus ?? statusOf(errors[0]));
    return { statusCode, response: { data, errors } };
  }
}

/** Apollo's `willSendResponse`: the budget after the charge, as `extensions.rateLimit`. */
async function addRateLimitExtension(rc: {
  contextValue: ContextObject;
  response: { body: { kind: string; singleResult?: { extensions?: Record<string, unknown> } } };
}): Promise<void> {
  const state: BudgetState | undefined = (rc.contextValue[GRAPHQL_COST] as OperationCost | undefined)?.state;
  const single = rc.response.body.kind === 'single' ? rc.response.body.singleResult : undefined;
  if (state && single) single.extensions = { ...single.extensions, rateLimit: state };
}

const BATCH_REFUSED = Symbol.for('nestjs-rampart:graphql-batch-refused');

/** Marks the request's batch as refused; false when it already was. */
function markRefused(req: object | undefined): boolean {
  const holder = (req ?? {}) as Record<symbol, unknown>;
  if (holder[BATCH_REFUSED] === true) return false;
  holder[BATCH_REFUSED] = true;
  return true;
}

/** A refusal Mercurius itself wrote (its message names no internals), with a code from its status. */
function mercuriusRefusal(error: unknown, status: number): ClientGraphqlError {
  const message = error instanceof Error ? error.message : 'Bad request';
  return { message, extensions: { code: defaultCodeForStatus(status), status } };
}
