import crypto from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { Test } from '@nestjs/testing';
import type { Principal } from '../../core/context/principal.interface';
import type { ApiKeyOptions } from '../auth.options';
import { SecurityModule } from '../../security.module';
import { TokenRevocationService } from '../tokens/token-revocation.service';
import { MemorySecurityStorage } from '../../storage/memory/memory.storage';
import { SecurityStorage } from '../../storage/security-storage.interface';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.interface';
import { checksum } from './api-key.format';
import { ApiKeyService, ApiKeyVerificationError } from './api-key.service';
import { StorageApiKeyStore } from './storage-api-key.store';

/** A "database" store, as a user would write one. */
class MapStore implements ApiKeyStore {
  readonly rows = new Map<string, ApiKeyRecord>();
  touches = 0;
  async findById(id: string) {
    return this.rows.get(id) ?? null;
  }
  async save(record: ApiKeyRecord) {
    this.rows.set(record.id, { ...record });
  }
  async touch(id: string, at: number) {
    this.touches++;
    const row = this.rows.get(id);
    if (row) row.lastUsedAt = at;
  }
}

async function boot(store?: ApiKeyStore, lastUsedIntervalSec = 60) {
  const ref = await Test.createTestingModule({
    imports: [
      SecurityModule.forRoot({
        events: { logger: false },
        auth: { apiKeys: { pepper: randomBytes(32), store, lastUsedIntervalSec, prefixes: ['rk_test'] } },
      }),
    ],
  }).compile();
  return { ref, keys: ref.get(ApiKeyService) };
}

describe('ApiKeyService', () => {
  it('stores only a peppered HMAC of the key, never the key', async () => {
    const store = new MapStore();
    const { ref, keys } = await boot(store);
    const { key, info } = await keys.create({ ownerId: 'o', scopes: ['a'] });
    const row = store.rows.get(info.id) as ApiKeyRecord;
    expect(row.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(row)).not.toContain(key.split('_')[2]);
    expect(info).not.toHaveProperty('hash');
    await ref.close();
  });

  it('finds a key through a custom store and refuses a key peppered differently', async () => {
    const store = new MapStore();
    const a = await boot(store);
    const { key } = await a.keys.create({ ownerId: 'o' });
    await expect(a.keys.verify(key)).resolves.toMatchObject({ ownerId: 'o' });
    const b = await boot(store); // same rows, another pepper (a leaked database alone is not enough)
    await expect(b.keys.verify(key)).rejects.toMatchObject({ reason: 'hash_mismatch' });
    await a.ref.close();
    await b.ref.close();
  });

  it('writes last-used at most once per interval, off the request path', async () => {
    const store = new MapStore();
    const { ref, keys } = await boot(store, 3600);
    const { key, info } = await keys.create({ ownerId: 'o' });
    for (let i = 0; i < 5; i++) await keys.verify(key);
    await new Promise((r) => setImmediate(r));
    expect(store.touches).toBe(1);
    expect((await keys.get(info.id))?.lastUsedAt).toEqual(expect.any(Number));
    await ref.close();
  });

  it('keeps verifying when the last-used write fails', async () => {
    const store = new MapStore();
    store.touch = () => Promise.reject(new Error('db down'));
    const { ref, keys } = await boot(store);
    const { key } = await keys.create({ ownerId: 'o' });
    await expect(keys.verify(key)).resolves.toMatchObject({ ownerId: 'o' });
    await ref.close();
  });

  it('records last-used in the default storage store too', async () => {
    const { ref, keys } = await boot(undefined, 0);
    const { key, info } = await keys.create({ ownerId: 'o', tier: 'paid' });
    expect(keys.toPrincipal(await keys.verify(key))).toMatchObject({ type: 'api-key', id: 'o', tier: 'paid' });
    await new Promise((r) => setImmediate(r));
    expect((await keys.get(info.id))?.lastUsedAt).toEqual(expect.any(Number));
    await ref.close();
  });

  it('on the default store, parses a stored record once and builds its principal once, until it changes', async () => {
    const { ref, keys } = await boot();
    const { key } = await keys.create({ ownerId: 'o', scopes: ['read'], roles: ['viewer'] });
    const parse = jest.spyOn(JSON, 'parse');
    await keys.principalFor(key); // the first use also writes the last-used time: a new stored state
    const first = await keys.principalFor(key);
    const again = await keys.principalFor(key);
    const third = await keys.principalFor(key);
    expect(again).toBe(first);
    expect(third).toBe(first);
    expect(first).toMatchObject({ type: 'api-key', id: 'o', scopes: ['read'], roles: ['viewer'] });
    expect(parse.mock.calls.filter(([text]) => String(text).includes('"ownerId"'))).toHaveLength(2);
    parse.mockRestore();

    // A revocation writes a new stored text: read afresh, and refused.
    await keys.revoke(first.credentialId as string);
    await expect(async () => keys.principalFor(key)).rejects.toEqual(new ApiKeyVerificationError('revoked'));
    await ref.close();
  });

  it('on the memory storage, answers without a promise, and refuses synchronously', async () => {
    const { ref, keys } = await boot();
    const { key } = await keys.create({ ownerId: 'o' });
    const principal = keys.principalFor(key);
    expect(principal).not.toBeInstanceOf(Promise);
    expect(principal).toMatchObject({ type: 'api-key', id: 'o' });
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(() => keys.principalFor(wrong)).toThrow(new ApiKeyVerificationError('malformed'));
    await ref.close();
  });

  it('skips the HMAC only for the very key that matched the unchanged record; any other key pays it and fails', async () => {
    const { ref, keys } = await boot();
    const { key, info } = await keys.create({ ownerId: 'o' });
    const hmac = jest.spyOn(crypto, 'createHmac');
    await keys.principalFor(key); // the first use writes last-used: a new record object next time
    await keys.principalFor(key);
    hmac.mockClear();
    await keys.principalFor(key);
    await keys.principalFor(key);
    expect(hmac).not.toHaveBeenCalled();

    // Same id and prefix, another secret with a valid checksum: the HMAC runs, and refuses it.
    const head = `rk_test_${info.id}${'x'.repeat(32)}`;
    const forged = `${head}_${checksum(head)}`;
    await expect(async () => keys.principalFor(forged)).rejects.toEqual(new ApiKeyVerificationError('hash_mismatch'));
    expect(hmac).toHaveBeenCalledTimes(1);
    await keys.principalFor(key);
    expect(hmac).toHaveBeenCalledTimes(1);

    // A revocation is a new record: verified afresh (HMAC) and refused.
    await keys.revoke(info.id);
    await expect(async () => keys.principalFor(key)).rejects.toEqual(new ApiKeyVerificationError('revoked'));
    expect(hmac).toHaveBeenCalledTimes(2);
    hmac.mockRestore();
    await ref.close();
  });

  it('refuses a key that expired after it was verified', async () => {
    const { ref, keys } = await boot();
    const { key } = await keys.create({ ownerId: 'o', expiresInSec: 60 });
    await keys.principalFor(key);
    await keys.principalFor(key);
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 61_000);
    await expect(async () => keys.principalFor(key)).rejects.toEqual(new ApiKeyVerificationError('expired'));
    now.mockRestore();
    await ref.close();
  });

  it('never lets a caller change a shared record: records are frozen, verify() and get() return copies', async () => {
    const { ref, keys } = await boot();
    const { key, info } = await keys.create({ ownerId: 'o', scopes: ['read'] });
    const verified = await keys.verify(key);
    verified.scopes.push('admin');
    (await keys.get(info.id))?.scopes.push('admin');
    expect((await keys.principalFor(key)).scopes).toEqual(['read']);
    expect((await keys.verify(key)).scopes).toEqual(['read']);

    const storage = ref.get<SecurityStorage>(SecurityStorage);
    const record = (await new StorageApiKeyStore(storage).findById(info.id)) as ApiKeyRecord;
    expect(Object.isFrozen(record) && Object.isFrozen(record.scopes)).toBe(true);
    await ref.close();
  });

  it('reads a configured StorageApiKeyStore subclass through its own findById (it may refuse a record)', async () => {
    class SuspendingStore extends StorageApiKeyStore {
      readonly suspended = new Set<string>();
      override async findById(id: string): Promise<ApiKeyRecord | null> {
        const record = await super.findById(id);
        return record && !this.suspended.has(record.ownerId) ? record : null;
      }
    }
    const store = new SuspendingStore(new MemorySecurityStorage());
    const { ref, keys } = await boot(store);
    const { key } = await keys.create({ ownerId: 'o' });
    await expect(keys.principalFor(key)).resolves.toMatchObject({ id: 'o' });
    store.suspended.add('o');
    await expect(keys.verify(key)).rejects.toEqual(new ApiKeyVerificationError('unknown_key'));
    await expect(async () => keys.principalFor(key)).rejects.toEqual(new ApiKeyVerificationError('unknown_key'));
    await ref.close();
  });

  it('reads a custom store record afresh on every request (it may be edited in place)', async () => {
    const store = new MapStore();
    const { ref, keys } = await boot(store);
    const { key, info } = await keys.create({ ownerId: 'o', scopes: ['read', 'write'] });
    expect((await keys.principalFor(key)).scopes).toEqual(['read', 'write']);
    (store.rows.get(info.id) as ApiKeyRecord).scopes = ['read'];
    expect((await keys.principalFor(key)).scopes).toEqual(['read']);
    await ref.close();
  });

  it('keeps a revocation made while the key is being rotated (compare-and-set on the default store)', async () => {
    const { ref, keys } = await boot();
    const { key, info } = await keys.create({ ownerId: 'o' });
    const store = (keys as unknown as { store: StorageApiKeyStore }).store;
    const read = store.findById.bind(store);
    let revoked = false;
    // The rotation reads the old record; an admin revokes the key right after that read.
    jest.spyOn(store, 'findById').mockImplementation(async (id) => {
      const record = await read(id);
      if (id === info.id && !revoked) {
        revoked = true;
        await keys.revoke(info.id);
      }
      return record;
    });
    const rotated = await keys.rotate(info.id, 3_600);
    await expect(keys.verify(key)).rejects.toEqual(new ApiKeyVerificationError('revoked'));
    await expect(keys.verify(rotated.key)).resolves.toMatchObject({ ownerId: 'o', rotatedFrom: info.id });
    const old = await keys.get(info.id);
    expect(old?.revokedAt).toBeDefined();
    expect(old?.expiresAt).toBeDefined(); // the rotation's overlap end was applied on top
    await ref.close();
  });

  it('writes with a plain save on a custom store without replace()', async () => {
    const store = new MapStore();
    const { ref, keys } = await boot(store);
    const { key, info } = await keys.create({ ownerId: 'o' });
    expect(await keys.revoke(info.id)).toBe(true);
    expect(store.rows.get(info.id)?.revokedAt).toBeDefined();
    await expect(keys.verify(key)).rejects.toEqual(new ApiKeyVerificationError('revoked'));
    expect(await keys.revoke('unknownid000')).toBe(false);
    await ref.close();
  });
});

describe('ApiKeyService lifetime, test keys, minting from a session', () => {
  async function bootWith(apiKeys: ApiKeyOptions, profile: 'development' | 'production' = 'development') {
    const store = new MapStore();
    const ref = await Test.createTestingModule({
      imports: [
        SecurityModule.forRoot({
          profile,
          events: { logger: false },
          auth: { apiKeys: { pepper: randomBytes(32), store, ...apiKeys } },
        }),
      ],
    }).compile();
    return { ref, store, keys: ref.get(ApiKeyService), revocation: ref.get(TokenRevocationService) };
  }
  const nowSec = () => Date.now() / 1000;
  const user = (claims: Record<string, unknown> = {}): Principal => ({
    type: 'user',
    id: 'u1',
    roles: [],
    scopes: [],
    claims: { sub: 'u1', sid: 's1', iat: nowSec(), auth_time: nowSec(), ...claims },
  });

  it('gives keys the maximum lifetime by default, refuses longer ones, and refuses stored keys past it', async () => {
    const { ref, store, keys } = await bootWith({ maxLifetimeSec: 3_600 });
    const { key, info } = await keys.create({ ownerId: 'o' });
    expect(info.expiresAt! - info.createdAt).toBe(3_600_000);
    await expect(keys.create({ ownerId: 'o', expiresInSec: 3_601 })).rejects.toThrow(
      /expiresInSec must be between 1 and 3600 \(auth\.apiKeys\.maxLifetimeSec\)/,
    );
    // A record edited in the database (no expiry), older than the limit: still refused.
    const row = store.rows.get(info.id) as ApiKeyRecord;
    delete row.expiresAt;
    row.createdAt -= 3_600_001;
    await expect(keys.verify(key)).rejects.toEqual(new ApiKeyVerificationError('expired'));
    await ref.close();
  });

  it('refuses test keys in production, unless allowed; accepts them elsewhere', async () => {
    const pepper = randomBytes(32);
    const prod = await bootWith({ pepper, prefixes: ['sk_live', 'sk_test'] }, 'production');
    await expect(prod.keys.create({ ownerId: 'o', prefix: 'sk_test' })).rejects.toThrow(
      /test keys \(sk_test\) are refused in production; set auth\.apiKeys\.allowTestKeysInProduction/,
    );
    await expect(prod.keys.create({ ownerId: 'o', prefix: 'sk_live' })).resolves.toBeDefined();
    // A test key made elsewhere (same pepper, shared database) does not open production.
    const dev = await bootWith({ pepper, prefixes: ['sk_live', 'sk_test'] });
    const made = await dev.keys.create({ ownerId: 'o', prefix: 'sk_test' });
    prod.store.rows.set(made.info.id, dev.store.rows.get(made.info.id) as ApiKeyRecord);
    await expect(dev.keys.verify(made.key)).resolves.toMatchObject({ prefix: 'sk_test' });
    await expect(prod.keys.verify(made.key)).rejects.toEqual(new ApiKeyVerificationError('test_key_in_production'));
    const allowed = await bootWith({ prefixes: ['sk_live', 'sk_test'], allowTestKeysInProduction: true }, 'production');
    await expect(allowed.keys.create({ ownerId: 'o', prefix: 'sk_test' })).resolves.toBeDefined();
    await Promise.all([prod.ref.close(), dev.ref.close(), allowed.ref.close()]);
  });

  it('createFor: needs a recent login (auth_time, else iat), a user principal, and answers 400 for a bad lifetime', async () => {
    const { ref, keys } = await bootWith({ mintMaxLoginAgeSec: 60 });
    const created = await keys.createFor(user(), { name: 'ci' });
    expect(created.info).toMatchObject({ ownerId: 'u1', sessionId: 's1', name: 'ci' });
    // A token refreshed just now (fresh iat) from a login 10 minutes ago: refused.
    await expect(keys.createFor(user({ auth_time: nowSec() - 600 }))).rejects.toMatchObject({
      status: 401,
      response: { code: 'RECENT_LOGIN_REQUIRED' },
    });
    await expect(keys.createFor(user({ auth_time: undefined, iat: nowSec() - 600 }))).rejects.toMatchObject({
      response: { code: 'RECENT_LOGIN_REQUIRED' },
    });
    await expect(keys.createFor(user({ auth_time: undefined, iat: undefined }))).rejects.toMatchObject({
      response: { code: 'RECENT_LOGIN_REQUIRED' },
    });
    const keyPrincipal = keys.toPrincipal(created.info);
    await expect(keys.createFor(keyPrincipal)).rejects.toMatchObject({ status: 403 });
    await expect(keys.createFor(user(), { expiresInSec: 10 ** 9 })).rejects.toMatchObject({
      status: 400,
      response: { code: 'BAD_REQUEST', message: expect.stringMatching(/^expiresInSec must be between/) },
    });
    await ref.close();
  });

  it('a key minted in a session dies with the session or the subject, rotated or not; server-side keys do not', async () => {
    const { ref, keys, revocation } = await bootWith({});
    const minted = await keys.createFor(user({ sid: 'sA' }));
    const rotated = await keys.rotate(minted.info.id, 3_600);
    expect((await keys.get(rotated.info.id))?.sessionId).toBe('sA');
    const other = await keys.createFor(user({ sid: 'sB' }));
    const noSid = await keys.createFor(user({ sid: undefined })); // e.g. a JwtService token
    expect(noSid.info).toMatchObject({ minted: true });
    expect(noSid.info.sessionId).toBeUndefined();
    const serverSide = await keys.create({ ownerId: 'u1' });
    await revocation.revokeSession('u1', 'sA');
    for (const k of [minted.key, rotated.key]) {
      await expect(keys.principalFor(k)).rejects.toEqual(new ApiKeyVerificationError('session_revoked'));
    }
    await expect(keys.verify(other.key)).resolves.toMatchObject({ sessionId: 'sB' });
    await expect(keys.verify(noSid.key)).resolves.toMatchObject({ minted: true });
    await new Promise((r) => setTimeout(r, 2));
    await revocation.revokeSubject('u1');
    await expect(keys.verify(other.key)).rejects.toEqual(new ApiKeyVerificationError('session_revoked'));
    await expect(keys.verify(noSid.key)).rejects.toEqual(new ApiKeyVerificationError('session_revoked'));
    await expect(keys.verify(serverSide.key)).resolves.toMatchObject({ ownerId: 'u1' });
    // Minted after the subject revocation (a new login): valid.
    await new Promise((r) => setTimeout(r, 2));
    const fresh = await keys.createFor(user({ sid: 'sC' }));
    await expect(keys.verify(fresh.key)).resolves.toMatchObject({ sessionId: 'sC' });
    await ref.close();
  });

  it('revokeWithSession: false keeps minted keys alive after their session', async () => {
    const { ref, keys, revocation } = await bootWith({ revokeWithSession: false });
    const minted = await keys.createFor(user({ sid: 'sA' }));
    await revocation.revokeSession('u1', 'sA');
    await expect(keys.verify(minted.key)).resolves.toMatchObject({ sessionId: 'sA' });
    await ref.close();
  });
});
