import type { SecurityStorage } from '../../storage/security-storage.interface';
import { storageKey } from '../../storage/security-storage.interface';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.interface';

/** Revoked or expired records are kept this long for audit, then dropped. */
const KEEP_AFTER_END_MS = 30 * 86_400_000;
/** A last-used time older than this is forgotten (the record itself may live longer). */
const LAST_USED_TTL_MS = 400 * 86_400_000;

/**
 * The default {@link ApiKeyStore}: records in the SecurityModule storage (memory or Redis) under
 * `{apikey:<id>}`, the last-used time in a separate key so a concurrent revocation is never
 * overwritten by a last-used write. One round trip per lookup.
 *
 * @publicApi
 */
export class StorageApiKeyStore implements ApiKeyStore {
  constructor(private readonly storage: SecurityStorage) {}

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const [record, lastUsed] = await this.storage.getMany([storageKey('apikey', id), storageKey('apikey', id, 'used')]);
    if (record === null) return null;
    const parsed = JSON.parse(record) as ApiKeyRecord;
    return lastUsed === null ? parsed : { ...parsed, lastUsedAt: Number(lastUsed) };
  }

  async save(record: ApiKeyRecord): Promise<void> {
    const { lastUsedAt: _ignored, ...rest } = record;
    await this.storage.set(storageKey('apikey', record.id), JSON.stringify(rest), this.ttl(record));
  }

  async touch(id: string, at: number): Promise<void> {
    await this.storage.set(storageKey('apikey', id, 'used'), String(at), LAST_USED_TTL_MS);
  }

  private ttl(record: ApiKeyRecord): number {
    const end = Math.min(record.expiresAt ?? Infinity, record.revokedAt ?? Infinity);
    return end === Infinity ? 0 : Math.max(1_000, end + KEEP_AFTER_END_MS - Date.now());
  }
}
