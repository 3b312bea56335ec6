import { ALL_EVENT_TYPES, missingEventFields, SECURITY_EVENT_CATALOG } from './event-catalog';
import { SecurityEventType } from './security-event.interface';

describe('SECURITY_EVENT_CATALOG', () => {
  it('lists every event type, and nothing else', () => {
    expect([...ALL_EVENT_TYPES].sort()).toEqual(Object.values(SecurityEventType).sort());
  });

  it.each(ALL_EVENT_TYPES)('%s has at least one outcome and no secret field among its required ones', (type) => {
    const spec = SECURITY_EVENT_CATALOG[type];
    expect(spec.outcomes.length).toBeGreaterThan(0);
    for (const field of spec.details) expect(field).not.toMatch(/password|secret|token$|^key$|body/i);
  });

  it('names what an event lacks', () => {
    const time = new Date().toISOString();
    expect(missingEventFields({ type: 'LOGIN_FAILED', time, outcome: 'failure', reason: 'x' })).toEqual([
      'requestId',
      'ip',
      'method',
      'path',
      'details.usernameHash',
    ]);
    expect(missingEventFields({ type: 'AUTH_FAILED', time, outcome: 'success', reason: 'x' })).toEqual([
      'outcome success',
    ]);
    expect(missingEventFields({ type: 'NOT_A_TYPE', time, outcome: 'info' })).toEqual(['unknown type']);
  });
});
