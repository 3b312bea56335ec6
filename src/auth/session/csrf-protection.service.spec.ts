import type { SecurityEvents } from '../../core/events/security-events.service';
import { CsrfProtection } from './csrf-protection.service';

describe('CsrfProtection.isUnsafe', () => {
  const csrf = new CsrfProtection({ auth: {} } as never, {} as SecurityEvents);

  it.each(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'get'])('%s is safe: no CSRF token asked', (method) => {
    expect(csrf.isUnsafe({ method, headers: {} })).toBe(false);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'LINK', 'SEARCH', 'post'])(
    '%s may change state: the CSRF token is required (unknown methods fail closed)',
    (method) => {
      expect(csrf.isUnsafe({ method, headers: {} })).toBe(true);
    },
  );
});
