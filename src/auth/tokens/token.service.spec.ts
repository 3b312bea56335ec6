import { SecurityEvents } from '../../core/events/security-events.service';
import { randomBytes } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { createTestRedisStorage } from '../../../test/utils/redis';
import { SecurityModule } from '../../security.module';
import { MemorySecurityStorage } from '../../storage/memory/memory.storage';
import { SecurityStorage } from '../../storage/security-storage.interface';
import { StorageUnavailableError } from '../../storage/storage-unavailable.error';
import type { SecurityModuleOptions } from '../../security.options';
import { JwtAuthenticator } from '../jwt/jwt-authenticator.service';
import { JwtVerifier } from '../jwt/jwt-verifier';
import { revocationKeys } from './token-revocation.service';
import { TokenService } from './token.service';

const payload = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

async function boot(auth: SecurityModuleOptions['auth'], storage?: SecurityStorage) {
  const moduleRef = await Test.createTestingModule({
    imports: [SecurityModule.forRoot({ events: { logger: false }, auth, ...(storage ? { storage } : {}) })],
  }).compile();
  return moduleRef;
}

describe('TokenService', () => {
  afterEach(() => jest.restoreAllMocks());

  it('never extends the family past its absolute lifetime', async () => {
    const ref = await boot({ jwt: { secret: randomBytes(32), refreshFamilyTtlSec: 120, refreshTokenTtlSec: 100 } });
    const tokens = ref.get(TokenService);
    const t0 = Date.now();
    const first = await tokens.issue({ id: 'u' });
    jest.spyOn(Date, 'now').mockReturnValue(t0 + 50_000);
    const second = await tokens.refresh(first.refreshToken);
    const familyEnd = Math.floor(t0 / 1000) + 120;
    expect(payload(second.refreshToken).exp).toBe(familyEnd);
    expect(payload(second.accessToken).exp).toBeLessThanOrEqual(familyEnd);
    expect(payload(second.accessToken).sid).toBe(payload(first.accessToken).sid);
    await ref.close();
  });

  it('writes roles and tier to the configured (nested) claims', async () => {
    const ref = await boot({ jwt: { secret: randomBytes(32), rolesClaim: 'realm.roles', tierClaim: 'plan' } });
    const pair = await ref
      .get(TokenService)
      .issue({ id: 'u', roles: ['admin'], tier: 'gold', claims: { realm: { x: 1 } } });
    expect(payload(pair.accessToken)).toMatchObject({ realm: { x: 1, roles: ['admin'] }, plan: 'gold' });
    const principal = await ref.get(JwtAuthenticator).authenticate(pair.accessToken);
    expect(principal).toMatchObject({ roles: ['admin'], tier: 'gold' });
    await ref.close();
  });

  it('revokes a subject to the millisecond: earlier tokens die, a login in the same second lives', async () => {
    const ref = await boot({ jwt: { secret: randomBytes(32) } });
    const tokens = ref.get(TokenService);
    const auth = ref.get(JwtAuthenticator);
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 400;
    const now = jest.spyOn(Date, 'now').mockReturnValue(t0);
    const before = await tokens.issue({ id: 'u' });
    now.mockReturnValue(t0 + 100);
    await tokens.revokeSubject('u');
    now.mockReturnValue(t0 + 200); // same second as the revocation
    const after = await tokens.issue({ id: 'u' });
    expect(Number.isInteger(payload(after.accessToken).iat)).toBe(false);
    await expect(auth.authenticate(before.accessToken)).rejects.toThrow();
    await expect(tokens.refresh(before.refreshToken)).rejects.toThrow();
    await expect(auth.authenticate(after.accessToken)).resolves.toMatchObject({ id: 'u' });
    await ref.close();
  });

  it('keeps a revocation stored in seconds (earlier versions) in force for its whole second', async () => {
    const ref = await boot({ jwt: { secret: randomBytes(32) } });
    const tokens = ref.get(TokenService);
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 900;
    jest.spyOn(Date, 'now').mockReturnValue(t0);
    const pair = await tokens.issue({ id: 'legacy' });
    await ref
      .get<SecurityStorage>(SecurityStorage)
      .set(revocationKeys.before('legacy'), String(Math.floor(t0 / 1000)), 60_000);
    await expect(ref.get(JwtAuthenticator).authenticate(pair.accessToken)).rejects.toThrow();
    await ref.close();
  });

  it('refuses reserved claims and explains a missing signing key', async () => {
    const ref = await boot({ jwt: { secret: randomBytes(32) } });
    await expect(ref.get(TokenService).issue({ id: 'u', claims: { exp: 1 } })).rejects.toThrow(/claim "exp"/);
    await ref.close();
    const noKey = await boot({});
    const storage = noKey.get<MemorySecurityStorage>(SecurityStorage);
    const emitted = jest.spyOn(noKey.get(SecurityEvents), 'emit');
    await expect(noKey.get(TokenService).issue({ id: 'u' })).rejects.toThrow(/no key that can sign/);
    // Refused before anything was written or announced: no session record, no TOKEN_ISSUED.
    expect(storage.size).toBe(0);
    expect(emitted).not.toHaveBeenCalled();
    await noKey.close();
  });

  it('verifies a hot token twice (cached from its second use), but checks revocation on every request in one storage read (memory: no promise)', async () => {
    const ref = await boot({ jwt: { secret: randomBytes(32) } });
    const pair = await ref.get(TokenService).issue({ id: 'u' });
    const verify = jest.spyOn(JwtVerifier.prototype, 'verifyNow');
    const getManySync = jest.spyOn(ref.get<MemorySecurityStorage>(SecurityStorage), 'getManySync');
    const authenticator = ref.get(JwtAuthenticator);
    await authenticator.authenticate(pair.accessToken);
    await authenticator.authenticate(pair.accessToken);
    // Cached and on the memory store, the guard's path answers without a promise.
    const principal = authenticator.principalFor(pair.accessToken);
    expect(principal).not.toBeInstanceOf(Promise);
    expect(principal).toMatchObject({ id: 'u' });
    await authenticator.authenticate(pair.accessToken);
    expect(verify).toHaveBeenCalledTimes(2);
    expect(getManySync).toHaveBeenCalledTimes(4);
    expect(getManySync.mock.calls[0][0]).toHaveLength(3); // revoked-before, jti, session
    await ref.get(TokenService).revoke(pair.accessToken);
    expect(() => authenticator.principalFor(pair.accessToken)).toThrow(expect.objectContaining({ reason: 'revoked' }));
    await expect(authenticator.authenticate(pair.accessToken)).rejects.toMatchObject({ reason: 'revoked' });
    await ref.close();
  });

  it('tells a refresh token from an access token by typ, with or without application/', async () => {
    const ref = await boot({ jwt: { secret: randomBytes(32) } });
    const authenticator = ref.get(JwtAuthenticator);
    const unsigned = (typ: string) =>
      `${Buffer.from(JSON.stringify({ alg: 'HS256', typ })).toString('base64url')}.${Buffer.from('{"sub":"u"}').toString('base64url')}.c2ln`;
    expect(authenticator.kindOf(unsigned('rt+jwt'))).toBe('refresh');
    expect(authenticator.kindOf(unsigned('application/RT+JWT'))).toBe('refresh');
    expect(authenticator.kindOf(unsigned('at+jwt'))).toBe('access');
    await ref.close();
  });

  it('checks revocation on every request in one round trip on Redis', async () => {
    const storage = await createTestRedisStorage('token-service');
    const ref = await boot({ jwt: { secret: randomBytes(32) } }, storage);
    const pair = await ref.get(TokenService).issue({ id: 'u' });
    const getMany = jest.spyOn(storage, 'getMany');
    const authenticator = ref.get(JwtAuthenticator);
    for (let i = 0; i < 3; i++) await authenticator.authenticate(pair.accessToken);
    expect(getMany).toHaveBeenCalledTimes(3);
    expect(getMany.mock.calls[0][0]).toHaveLength(3);
    await ref.get(TokenService).revoke(pair.accessToken);
    await expect(authenticator.authenticate(pair.accessToken)).rejects.toMatchObject({ reason: 'revoked' });
    await ref.close();
    await storage.close();
  });

  it('fails closed when the storage is down', async () => {
    const storage = await createTestRedisStorage('token-service');
    const ref = await boot({ jwt: { secret: randomBytes(32) } }, storage);
    const pair = await ref.get(TokenService).issue({ id: 'u' });
    jest.spyOn(storage, 'getMany').mockRejectedValue(new StorageUnavailableError('down'));
    jest.spyOn(storage, 'get').mockRejectedValue(new StorageUnavailableError('down'));
    await expect(ref.get(JwtAuthenticator).authenticate(pair.accessToken)).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    await expect(ref.get(TokenService).refresh(pair.refreshToken)).rejects.toMatchObject({ status: 503 });
    await ref.close();
    await storage.close();
  });
});
