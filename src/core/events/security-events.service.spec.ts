import { Logger } from '@nestjs/common';
import { resolveCoreOptions } from '../options/core.options';
import type { SecurityEventSink } from '../options/core.options';
import type { SecurityEvent } from './security-event.interface';
import { SecurityEvents } from './security-events.service';

const tick = () => new Promise((resolve) => setImmediate(resolve));

function service(sinks: SecurityEventSink[]): SecurityEvents {
  return new SecurityEvents(resolveCoreOptions({ events: { logger: false, sinks } }));
}

describe('SecurityEvents', () => {
  let errors: jest.SpyInstance;
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    errors.mockRestore();
  });

  it('catches a rejecting async sink and logs one redacted line per sink, whatever the number of failures', async () => {
    const seen: SecurityEvent[] = [];
    const events = service([
      async () => {
        throw new Error('POST https://siem.example/ingest?token=s3cr3t-token failed');
      },
      (event) => void seen.push(event),
    ]);
    for (let i = 0; i < 3; i++) events.emit({ type: 'AUTH_FAILED', outcome: 'failure' });
    await tick();
    await tick();
    expect(unhandled).toEqual([]);
    expect(seen).toHaveLength(3); // the failing sink does not stop the others
    expect(errors).toHaveBeenCalledTimes(1);
    const line = String(errors.mock.calls[0][0]);
    expect(line).toMatch(/sink #1 failed \(Error\)/);
    expect(line).not.toMatch(/s3cr3t|siem\.example|token=/);
  });

  it('logs a throwing synchronous sink once, and never throws from emit', () => {
    const events = service([
      () => {
        throw new TypeError('apiKey=abc');
      },
    ]);
    expect(() => events.emit({ type: 'AUTH_FAILED', outcome: 'failure' })).not.toThrow();
    expect(() => events.emit({ type: 'AUTH_FAILED', outcome: 'failure' })).not.toThrow();
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0][0])).toMatch(/sink #1 failed \(TypeError\)/);
    expect(String(errors.mock.calls[0][0])).not.toMatch(/abc/);
  });

  it('redacts details before any sink sees them', () => {
    const seen: SecurityEvent[] = [];
    service([(event) => void seen.push(event)]).emit({
      type: 'API_KEY_CREATED',
      outcome: 'info',
      details: { keyId: 'k1', hmacKey: 'raw-bytes', signingKey: 'x' },
    });
    expect(seen[0].details).toEqual({ keyId: 'k1', hmacKey: '[REDACTED]', signingKey: '[REDACTED]' });
  });

  it('copies the sinks array: the caller’s array is neither frozen nor aliased', () => {
    const sinks: SecurityEventSink[] = [() => undefined];
    const resolved = resolveCoreOptions({ events: { sinks } });
    expect(Object.isFrozen(sinks)).toBe(false);
    expect(resolved.events.sinks).not.toBe(sinks);
    sinks.push(() => undefined);
    expect(resolved.events.sinks).toHaveLength(1);
  });
});

describe('SecurityEvents during a storage outage (one event per state change, with counts)', () => {
  afterEach(() => jest.useRealTimers());

  function collecting() {
    const seen: SecurityEvent[] = [];
    const events = service([(event) => void seen.push(event)]);
    return { events, seen };
  }
  const failure = (reason: string) => ({ type: 'STORAGE_UNAVAILABLE', outcome: 'failure' as const, reason });

  it('reports the first failure of each feature, counts the rest, and reports the end with the count', () => {
    jest.useFakeTimers();
    const { events, seen } = collecting();
    for (let i = 0; i < 1_000; i++) {
      events.emit(failure('authentication'));
      if (i % 10 === 0) events.emit(failure('idempotency_storage_unavailable'));
      jest.advanceTimersByTime(4); // 4 s of failures
    }
    expect(seen.map((e) => [e.type, e.reason])).toEqual([
      ['STORAGE_UNAVAILABLE', 'authentication'],
      ['STORAGE_UNAVAILABLE', 'idempotency_storage_unavailable'],
    ]);
    jest.advanceTimersByTime(10_000);
    const ended = seen.slice(2);
    expect(ended).toHaveLength(2);
    expect(ended.map((e) => e.type)).toEqual(['STORAGE_RECOVERED', 'STORAGE_RECOVERED']);
    expect(ended.find((e) => e.reason === 'authentication')?.details).toMatchObject({ failures: 1_000 });
    expect(ended.find((e) => e.reason === 'idempotency_storage_unavailable')?.details).toMatchObject({
      failures: 100,
    });
    events.onModuleDestroy();
  });

  it('a long outage is summarised once a minute, not once per request', () => {
    jest.useFakeTimers();
    const { events, seen } = collecting();
    for (let i = 0; i < 3_000; i++) {
      events.emit(failure('authentication'));
      jest.advanceTimersByTime(50); // 150 s
    }
    const unavailable = seen.filter((e) => e.type === 'STORAGE_UNAVAILABLE');
    expect(unavailable).toHaveLength(3);
    expect(unavailable[1].details).toMatchObject({ ongoing: true, failuresSinceLastReport: 1_200 });
    events.onModuleDestroy();
  });

  it('keeps one episode per memory partition: a second full partition is reported, not hidden', () => {
    jest.useFakeTimers();
    const { events, seen } = collecting();
    const full = (partition: string) => ({ ...failure('memory_partition_full'), details: { partition } });
    for (let i = 0; i < 5; i++) events.emit(full('nonces'));
    for (let i = 0; i < 3; i++) events.emit(full('revocations'));
    expect(seen.map((e) => e.details?.partition)).toEqual(['nonces', 'revocations']);
    jest.advanceTimersByTime(10_000);
    expect(seen.slice(2).map((e) => [e.type, e.reason, e.details?.partition, e.details?.failures])).toEqual([
      ['STORAGE_RECOVERED', 'memory_partition_full', 'nonces', 5],
      ['STORAGE_RECOVERED', 'memory_partition_full', 'revocations', 3],
    ]);
    events.onModuleDestroy();
  });

  it('an explicit recovery ends every open episode, so the next failure is reported again', () => {
    jest.useFakeTimers();
    const { events, seen } = collecting();
    events.emit(failure('rate_limit_storage_unavailable'));
    for (let i = 0; i < 3; i++) events.emit(failure('authentication'));
    events.emit({ type: 'STORAGE_RECOVERED', outcome: 'info', reason: 'rate_limit_storage_recovered' });
    events.emit(failure('rate_limit_storage_unavailable'));
    expect(seen.map((e) => [e.type, e.reason])).toEqual([
      ['STORAGE_UNAVAILABLE', 'rate_limit_storage_unavailable'],
      ['STORAGE_UNAVAILABLE', 'authentication'],
      ['STORAGE_RECOVERED', 'rate_limit_storage_recovered'],
      // the rate limiter's episode (one failure, nothing suppressed) ends silently
      ['STORAGE_RECOVERED', 'authentication'],
      ['STORAGE_UNAVAILABLE', 'rate_limit_storage_unavailable'],
    ]);
    expect(seen[3].details).toMatchObject({ failures: 3 });
    events.onModuleDestroy();
  });
});

describe('SecurityEvents: rate-limit episodes, login outcomes', () => {
  afterEach(() => jest.useRealTimers());
  const refusal = (first?: boolean) => ({
    type: 'RATE_LIMITED',
    outcome: 'blocked' as const,
    reason: 'limit_exceeded',
    details: { tracker: 'ip', policies: ['default'], retryAfter: 10 },
    episode: '{rl:1.2.3.4}|default',
    first,
  });

  it('writes the first refusal of an episode, counts the rest, and ends it with RATE_LIMIT_ENDED and the count', () => {
    jest.useFakeTimers();
    const seen: SecurityEvent[] = [];
    const events = service([(event) => void seen.push(event)]);
    events.emit(refusal(true));
    for (let i = 0; i < 9; i++) events.emit(refusal(false));
    expect(seen.map((e) => e.type)).toEqual(['RATE_LIMITED']);
    jest.advanceTimersByTime(9_000); // the block (10 s) is not over yet
    expect(seen).toHaveLength(1);
    jest.advanceTimersByTime(6_000);
    expect(seen.map((e) => [e.type, e.outcome])).toEqual([
      ['RATE_LIMITED', 'blocked'],
      ['RATE_LIMIT_ENDED', 'info'],
    ]);
    expect(seen[1].details).toMatchObject({ tracker: 'ip', policies: ['default'], refused: 10 });
    events.onModuleDestroy();
  });

  it('a new block imposed by the store (an escalation) ends the episode and starts another', () => {
    jest.useFakeTimers();
    const seen: SecurityEvent[] = [];
    const events = service([(event) => void seen.push(event)]);
    events.emit(refusal(true));
    events.emit(refusal(false));
    events.emit(refusal(true));
    expect(seen.map((e) => [e.type, e.details?.refused])).toEqual([
      ['RATE_LIMITED', undefined],
      ['RATE_LIMIT_ENDED', 2],
      ['RATE_LIMITED', undefined],
    ]);
    events.onModuleDestroy();
  });

  it('without the store’s word, a refusal with no open episode starts one', () => {
    jest.useFakeTimers();
    const seen: SecurityEvent[] = [];
    const events = service([(event) => void seen.push(event)]);
    for (let i = 0; i < 5; i++) events.emit(refusal(undefined));
    expect(seen).toHaveLength(1);
    events.onModuleDestroy();
  });

  it('hashes usernames with the configured key (trimmed, lower-cased), never writes the name, reports a request once', () => {
    const seen: SecurityEvent[] = [];
    const key = 'k'.repeat(32);
    const events = new SecurityEvents(
      resolveCoreOptions({ events: { logger: false, hashKey: key, sinks: [(e: SecurityEvent) => void seen.push(e)] } }),
    );
    const other = new SecurityEvents(resolveCoreOptions({ events: { logger: false, hashKey: 'o'.repeat(32) } }));
    expect(events.hashUsername(' Alice ')).toBe(events.hashUsername('alice'));
    expect(events.hashUsername('alice')).not.toBe(other.hashUsername('alice'));
    const request = { method: 'POST', url: '/login', headers: {}, socket: { remoteAddress: '10.0.0.1' } };
    events.loginFailed({ request, username: 'alice', details: { password: 'hunter2' } });
    events.loginSucceeded({ request, username: 'alice' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'LOGIN_FAILED', reason: 'invalid_credentials', ip: '10.0.0.1' });
    expect(seen[0].details).toEqual({ password: '[REDACTED]', usernameHash: events.hashUsername('alice') });
    expect(JSON.stringify(seen)).not.toMatch(/alice|hunter2/);
  });
});

describe('event options', () => {
  it.each([
    [{ hashKey: 'short' }, /events\.hashKey is 5 characters long, under 32/],
    [{ authSuccessSampleRate: 2 }, /events\.authSuccessSampleRate must be at most 1/],
    [{ anomalies: { usernamesPerIp: 1 } }, /events\.anomalies\.usernamesPerIp must be at least 2/],
    [{ anomalies: { windowSecond: 60 } }, /events\.anomalies.*windowSecond/],
  ])('refuses %j', (events, message) => {
    expect(() => resolveCoreOptions({ events })).toThrow(message);
  });

  it('defaults: no success sampling, a random hash key, anomaly thresholds on', () => {
    const { events } = resolveCoreOptions({});
    expect(events.authSuccessSampleRate).toBe(0);
    expect(events.hashKey).toHaveLength(32);
    expect(events.anomalies).toEqual({ windowSeconds: 600, usernamesPerIp: 10, ipsPerUsername: 10 });
    expect(resolveCoreOptions({ events: { anomalies: false } }).events.anomalies).toBe(false);
  });
});
