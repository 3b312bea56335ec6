/** The GraphQL scenario's query: three levels, a list of 20 with two field resolvers per item. */
export const GRAPHQL_QUERY =
  'query Documents { documents(first: 20) { id title owner { id username documents(first: 5) { id } } } }';

/** Deeper than both GraphQL Armor's (6) and rampart's (10) default depth limits: both refuse it. */
export const GRAPHQL_TOO_DEEP = `query Deep { documents(first: 1) { ${'owner { documents(first: 1) { '.repeat(6)}id${' } }'.repeat(6)} } }`;

/** The three stacks compared on every route. */
export const STACKS = ['bare', 'rampart', 'usual'] as const;
export type StackName = (typeof STACKS)[number];

/** The two HTTP adapters. */
export const ADAPTERS = ['express', 'fastify'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/** Scenario ids, in table order. */
export const SCENARIO_IDS = [
  'public-get',
  'jwt-get',
  'jwt-get-cold',
  'jwt-role-owner-get',
  'redis-rate-get',
  'validated-post',
  'idempotent-replay',
  'idempotent-first',
  'api-key-get',
  'full-memory',
  'full-redis',
  'graphql-query',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** What the runner needs to know to load one route (credentials are filled in per stack). */
export interface ScenarioDef {
  id: ScenarioId;
  title: string;
  method: 'GET' | 'POST';
  path: string;
  /** JSON body sent by POST scenarios. */
  body?: Record<string, unknown>;
  /** Which credential the request carries. */
  credential: 'none' | 'jwt' | 'api-key';
  /**
   * Distinct JWTs cycled through (default 1). More tokens than a verified-token cache holds
   * measures the signature check itself rather than cache hits.
   */
  tokens?: number;
  /** Extra headers sent on every request. */
  headers?: Record<string, string>;
  /** A header given a fresh value on every request (e.g. a new Idempotency-Key each time). */
  uniqueHeader?: string;
  /** Needs a Redis server. */
  redis: boolean;
  /** Target ratio rampart/bare on Fastify (issue 8). */
  target?: number;
  /**
   * A GraphQL operation: a 200 whose body has `errors` is a failure (in the sanity check and in
   * the measured load), as a GraphQL server answers most refusals with a 200.
   */
  graphql?: boolean;
  /**
   * A request the protected stacks must refuse, with the status they must answer: proves the
   * feature is really enforced before it is measured. Bare is exempt.
   */
  negative?: { headers?: Record<string, string>; body?: Record<string, unknown>; status: number };
}

/** The scenarios of issue 8, in the order they are printed. */
export const SCENARIOS: readonly ScenarioDef[] = [
  {
    id: 'public-get',
    title: 'public GET',
    method: 'GET',
    path: '/public',
    credential: 'none',
    redis: false,
    target: 0.85,
  },
  {
    id: 'jwt-get',
    title: 'JWT GET',
    method: 'GET',
    path: '/items/42',
    credential: 'jwt',
    redis: false,
    target: 0.85,
    negative: { status: 401 },
  },
  {
    id: 'jwt-get-cold',
    title: 'JWT GET, 20k distinct tokens',
    method: 'GET',
    path: '/items/42',
    credential: 'jwt',
    tokens: 20_000,
    redis: false,
    target: 0.6,
    negative: { status: 401 },
  },
  {
    id: 'jwt-role-owner-get',
    title: 'JWT + role + ownership GET',
    method: 'GET',
    path: '/documents/d1',
    credential: 'jwt',
    redis: false,
    target: 0.8,
    negative: { status: 401 },
  },
  {
    id: 'redis-rate-get',
    title: 'Redis rate-limited GET',
    method: 'GET',
    path: '/items/42',
    credential: 'none',
    redis: true,
    target: 0.75,
  },
  {
    id: 'validated-post',
    title: 'validated POST',
    method: 'POST',
    path: '/orders',
    credential: 'none',
    redis: false,
    target: 0.8,
    body: { sku: 'SKU-12345', quantity: 3, email: 'buyer@example.com', note: 'leave at the door' },
    negative: { body: { sku: 'SKU-12345', quantity: 0, email: 'not-an-email', isAdmin: true }, status: 400 },
  },
  {
    id: 'idempotent-replay',
    title: 'idempotent POST replay',
    method: 'POST',
    path: '/payments',
    credential: 'none',
    redis: false,
    target: 0.7,
    headers: { 'idempotency-key': 'bench-idempotency-key-0001' },
    body: { amount: 1250, currency: 'EUR' },
    // Same key, different payload: a real idempotency layer answers 422.
    negative: {
      headers: { 'idempotency-key': 'bench-idempotency-key-0001' },
      body: { amount: 999, currency: 'EUR' },
      status: 422,
    },
  },
  {
    // The same route executing the handler under a fresh key every time (lease, handler, stored
    // response): compare with the replay row to see what a replay saves.
    id: 'idempotent-first',
    title: 'idempotent POST, new key each time',
    method: 'POST',
    path: '/payments',
    credential: 'none',
    redis: false,
    target: 0.55,
    uniqueHeader: 'idempotency-key',
    body: { amount: 1250, currency: 'EUR' },
    // A malformed key (a space is not a visible ASCII character): a real idempotency layer answers 400.
    negative: { headers: { 'idempotency-key': 'not a valid key' }, status: 400 },
  },
  {
    id: 'api-key-get',
    title: 'API-key GET',
    method: 'GET',
    path: '/items/42',
    credential: 'api-key',
    redis: false,
    target: 0.8,
    negative: { headers: { 'x-api-key': 'bench_wrong_key' }, status: 401 },
  },
  {
    id: 'full-memory',
    title: 'full pipeline GET, memory store',
    method: 'GET',
    path: '/items/42',
    credential: 'jwt',
    redis: false,
    target: 0.65,
    negative: { status: 401 },
  },
  {
    id: 'full-redis',
    title: 'full pipeline GET, Redis store',
    method: 'GET',
    path: '/items/42',
    credential: 'jwt',
    redis: true,
    target: 0.5,
    negative: { status: 401 },
  },
  {
    // bare = the same GraphQL server unprotected, usual = GraphQL Armor (server/graphql-stack.ts).
    id: 'graphql-query',
    title: 'GraphQL query, 3 levels (usual = GraphQL Armor)',
    method: 'POST',
    path: '/graphql',
    credential: 'jwt',
    redis: false,
    graphql: true,
    target: 0.8,
    body: { query: GRAPHQL_QUERY },
    negative: { body: { query: GRAPHQL_TOO_DEEP }, status: 400 },
  },
];

/** Looks a scenario up by id. */
export function scenarioById(id: string): ScenarioDef {
  const found = SCENARIOS.find((s) => s.id === id);
  if (!found) throw new Error(`unknown scenario "${id}"; known: ${SCENARIO_IDS.join(', ')}`);
  return found;
}

/** What a server process reports for each scenario app it booted. */
export interface AppStatus {
  scenario: ScenarioId;
  /** `ok`, or why the stack cannot serve this scenario. */
  status: 'ok' | 'not-applicable' | 'error';
  port?: number;
  reason?: string;
  /** Credentials the runner must send (e.g. an API key the library issued at boot). */
  headers?: Record<string, string>;
}

/** The message a server process sends the runner once every app listens. */
export interface ReadyMessage {
  type: 'ready';
  stack: StackName;
  adapter: AdapterName;
  apps: AppStatus[];
}
