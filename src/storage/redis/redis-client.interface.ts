/**
 * The subset of an ioredis `Redis` / `Cluster` client that the storage uses. Declared here so the
 * package's types do not depend on ioredis (an optional peer).
 *
 * @internal
 */
export interface RedisClientLike {
  status?: string;
  get(key: string): Promise<string | null>;
  mget(...keys: string[]): Promise<(string | null)[]>;
  set(...args: (string | number)[]): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  script?(subcommand: 'LOAD', script: string): Promise<unknown>;
  connect?(): Promise<void>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  ping(): Promise<unknown>;
  isCluster?: boolean;
  /** `CONFIG GET name` → `[name, value]` (ioredis `config('GET', name)`). */
  config?(subcommand: 'GET', name: string): Promise<unknown>;
  /** A Cluster's node clients (ioredis `Cluster#nodes(role)`). */
  nodes?(role: 'master'): RedisClientLike[];
  /** Reloads a Cluster's slot map (ioredis `Cluster#refreshSlotsCache`). */
  refreshSlotsCache?(callback?: (error?: Error | null) => void): void;
}
