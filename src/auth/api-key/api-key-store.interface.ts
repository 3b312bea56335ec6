/**
 * A stored API key. The key itself is never stored: only `hash`, an HMAC-SHA256 of the full key
 * under the server-side pepper (`auth.apiKeys.pepper`).
 *
 * @publicApi
 */
export interface ApiKeyRecord {
  /** Public key id (the 12 characters after the prefix); the lookup key. */
  id: string;
  /** e.g. `sk_live`. */
  prefix: string;
  /** base64url HMAC-SHA256(pepper, full key). */
  hash: string;
  /** Who the key acts for: becomes `Principal.id`. */
  ownerId: string;
  /** Human label. */
  name?: string;
  scopes: string[];
  roles: string[];
  /** Rate-limit tier. */
  tier?: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; absent: never expires. */
  expiresAt?: number;
  /** Epoch ms; set when revoked. */
  revokedAt?: number;
  /** Epoch ms of the last accepted use (written at most once per `lastUsedIntervalSec`). */
  lastUsedAt?: number;
  /** Id of the key this one replaced by rotation. */
  rotatedFrom?: string;
  /**
   * Created by its owner from a login (`ApiKeyService.createFor()`), kept through rotations: the
   * key is refused once its owner is revoked (`revokeSubject`), and once its session is when
   * `sessionId` is set (`auth.apiKeys.revokeWithSession`).
   */
  minted?: boolean;
  /** The session (`sid` of the login) that minted this key, when the token carried one. */
  sessionId?: string;
}

/**
 * Where API-key records live. The default keeps them in the SecurityModule storage (memory or
 * Redis). To keep them in your database, implement these three methods and pass the instance as
 * `auth.apiKeys.store`:
 *
 * - `findById(id)`: one indexed lookup by the public key id; `null` when unknown.
 * - `save(record)`: insert or replace by `record.id` (creation, revocation, rotation).
 * - `touch(id, at)`: record the last use (called at most once per key per interval, off the
 *   request's critical path; it may be a cheap UPDATE).
 * - optionally `replace(expected, next)`: a compare-and-set, so that concurrent revocations and
 *   rotations never overwrite each other.
 *
 * @example
 * ```ts
 * class PrismaApiKeyStore implements ApiKeyStore {
 *   constructor(private readonly prisma: PrismaClient) {}
 *   findById(id: string) { return this.prisma.apiKey.findUnique({ where: { id } }) as Promise<ApiKeyRecord | null>; }
 *   async save(r: ApiKeyRecord) { await this.prisma.apiKey.upsert({ where: { id: r.id }, create: r, update: r }); }
 *   async touch(id: string, at: number) { await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at } }); }
 * }
 * ```
 * @publicApi
 */
export interface ApiKeyStore {
  findById(id: string): Promise<ApiKeyRecord | null>;
  save(record: ApiKeyRecord): Promise<void>;
  touch(id: string, at: number): Promise<void>;
  /**
   * Optional compare-and-set: writes `next` only if the stored record is still `expected` (as
   * `findById` returned it), and resolves to whether it did. With it, a revocation made while a
   * rotation runs is never overwritten (the change is applied again to the newer record); a
   * store without it gets a plain `save` (last write wins). In SQL: `UPDATE … WHERE id = ? AND
   * updated_at = ?`.
   */
  replace?(expected: ApiKeyRecord, next: ApiKeyRecord): Promise<boolean>;
}
