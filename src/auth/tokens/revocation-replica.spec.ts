import type { SecurityEventInput } from '../../core/events/security-event.interface';
import type { SecurityEvents } from '../../core/events/security-events.service';
import { MemorySecurityStorage } from '../../storage/memory/memory.storage';
import type { SecurityStorage } from '../../storage/security-storage.interface';
import { StorageUnavailableError } from '../../storage/storage-unavailable.error';
import { createTestRedisStorage } from '../../../test/utils/redis';
import { resolveAuthOptions, type AuthFeatureOptions } from '../auth.options';
import { APPEND_REVOCATION, READ_REVOCATIONS, RevocationReplica } from './revocation-replica';
import { TokenRevocationService } from './token-revocation.service';

/** A storage that can be switched off, in front of the memory store (as a custom storage would be). */
class SwitchableStorage {
  down = false;
  readonly kind = 'switchable';
  constructor(public inner = new MemorySecurityStorage()) {}
  private guard(): void {
    if (this.down) throw new StorageUnavailableError('down');
  }
  get = async (key: string) => (this.guard(), this.inner.get(key));
  getMany = async (keys: readonly string[]) => (this.guard(), this.inner.getMany(keys));
  set = async (key: string, value: string, ttl: number) => (this.guard(), this.inner.set(key, value, ttl));
  delete = async (key: string) => (this.guard(), this.inner.delete(key));
  compareAndSet: SecurityStorage['compareAndSet'] = async (...args) => (
    this.guard(),
    this.inner.compareAndSet(...args)
  );
  increment: SecurityStorage['increment'] = async (...args) => (this.guard(), this.inner.increment(...args));
  run: SecurityStorage['run'] = async (...args) => (this.guard(), this.inner.run(...args));
  isHealthy = () => !this.down;
  close = async () => undefined;
}

function replicaOn(storage: SecurityStorage, maxEntries = 100) {
  const emitted: SecurityEventInput[] = [];
  const events = { emit: (e: SecurityEventInput) => emitted.push(e) } as unknown as SecurityEvents;
  const options = { auth: { revocation: { outage: 'replica', maxEntries, pollIntervalMs: 60_000 } } };
  return { replica: new RevocationReplica(storage, options as AuthFeatureOptions, events), emitted };
}

describe.each(['memory', 'redis'])('the revocation log scripts (%s)', (kind) => {
  let storage: SecurityStorage;
  beforeAll(async () => {
    storage = kind === 'memory' ? new MemorySecurityStorage() : await createTestRedisStorage('revocation-log');
  });
  afterAll(() => storage.close());

  it('append numbers records; reads come in batches from a position, and restart at 0 when the log was lost', async () => {
    const log = '{auth-log:test}:seq';
    for (const record of ['r1', 'r2', 'r3']) await storage.run(APPEND_REVOCATION, [log], [record, 60_000]);
    expect(await storage.run(READ_REVOCATIONS, [log], [0, 2])).toEqual([2, 3, 'r1', 'r2']);
    expect(await storage.run(READ_REVOCATIONS, [log], [2, 2])).toEqual([3, 3, 'r3']);
    expect(await storage.run(READ_REVOCATIONS, [log], [3, 2])).toEqual([3, 3]);
    // A position past the end (the storage restarted empty, then got new records): from the start.
    expect(await storage.run(READ_REVOCATIONS, [log], [9, 10])).toEqual([3, 3, 'r1', 'r2', 'r3']);
  });
});

describe('RevocationReplica', () => {
  it('stands in for an unreachable storage only once synced, with one event per switch', async () => {
    const storage = new SwitchableStorage();
    const writer = replicaOn(storage).replica;
    const { replica, emitted } = replicaOn(storage);
    await writer.record('{auth:u1}:jti:a', '1', 60_000);
    const outage = new StorageUnavailableError('down');
    expect(() => replica.lookup(['{auth:u1}:jti:a'], outage)).toThrow(outage);

    await replica.sync();
    expect(replica.lookup(['{auth:u1}:jti:a', '{auth:u1}:jti:b'], outage)).toEqual(['1', null]);
    replica.lookup(['{auth:u1}:jti:a'], outage);
    expect(emitted.map((e) => e.type)).toEqual(['REVOCATION_REPLICA_ACTIVE']);
    replica.storageAnswered();
    replica.storageAnswered();
    expect(emitted.map((e) => e.type)).toEqual(['REVOCATION_REPLICA_ACTIVE', 'REVOCATION_REPLICA_RELEASED']);
    expect(emitted[1].details).toMatchObject({ checks: 2 });
    // Not an outage (a programming error): never answered by the replica.
    const bug = new Error('WRONGTYPE');
    expect(() => replica.lookup(['{auth:u1}:jti:a'], bug)).toThrow(bug);
  });

  it('keeps entries until they expire, and stops standing in while a revocation it had to drop still matters', async () => {
    const storage = new SwitchableStorage();
    const { replica } = replicaOn(storage, 100);
    for (let i = 0; i < 100; i++) await replica.record(`{auth:u}:jti:${i}`, '1', 60_000);
    await replica.sync();
    const outage = new StorageUnavailableError('down');
    expect(replica.lookup(['{auth:u}:jti:99'], outage)).toEqual(['1']);
    await replica.record('{auth:u}:jti:dropped', '1', 60_000);
    expect(() => replica.lookup(['{auth:u}:jti:dropped'], outage)).toThrow(outage);
  });
});

describe('TokenRevocationService with the replica', () => {
  it('refuses a token revoked before the storage went down, or before it restarted empty; passes a valid one', async () => {
    const storage = new SwitchableStorage();
    const { replica } = replicaOn(storage);
    const options = { auth: { jwt: { clockToleranceSec: 0 }, revocation: { outage: 'replica' } } };
    const service = new TokenRevocationService(storage, options as AuthFeatureOptions, replica);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const revoked = { sub: 'u1', jti: 'revoked', iat: exp - 900, exp };
    const valid = { sub: 'u1', jti: 'valid', iat: exp - 900, exp };
    await service.revokeJti('u1', 'revoked', exp);
    await replica.sync();

    storage.down = true;
    expect(await service.isRevoked(revoked)).toBe(true);
    expect(await service.isRevoked(valid)).toBe(false);

    storage.down = false;
    storage.inner = new MemorySecurityStorage(); // restarted empty
    expect(await service.isRevoked(revoked)).toBe(true);
    expect(await service.isRevoked(valid)).toBe(false);
  });
});

describe('auth.revocation options', () => {
  const dev = { profile: 'development', isTrustedProxy: () => false } as const;
  const SECRET = 'a-test-secret-of-at-least-32-bytes-0123456789';

  it('defaults to fail-closed', () => {
    expect(resolveAuthOptions({ jwt: { secret: SECRET } }, dev).revocation).toEqual({
      outage: 'fail-closed',
      maxEntries: 100_000,
      pollIntervalMs: 1_000,
    });
  });

  it.each([
    [{ outage: 'fail-open' }, /auth\.revocation\.outage must be one of/],
    [{ pollIntervalMs: 10 }, /auth\.revocation\.pollIntervalMs/],
    [{ outages: 'replica' }, /Did you mean "auth\.revocation\.outage"\?/],
  ])('refuses %j', (revocation, message) => {
    expect(() => resolveAuthOptions({ jwt: { secret: SECRET }, revocation }, dev)).toThrow(message);
  });
});
