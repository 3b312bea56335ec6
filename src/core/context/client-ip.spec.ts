import type { HttpRequestLike } from './get-request';
import { compileIpMatcher, normalizeIp, resolveClientIp } from './client-ip';

function req(remoteAddress: string, xff?: string): HttpRequestLike {
  return { headers: xff ? { 'x-forwarded-for': xff } : {}, socket: { remoteAddress } };
}

describe('client IP', () => {
  it.each([
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['FE80::1%eth0', 'fe80::1'],
    ['192.168.0.1', '192.168.0.1'],
  ])('normalizes %s to %s', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it('matches IPv4 and IPv6 CIDRs and named ranges', () => {
    const match = compileIpMatcher(['10.0.0.0/8', '2001:db8::/32', 'loopback'], 'trustProxy');
    expect(match('10.200.1.1')).toBe(true);
    expect(match('11.0.0.1')).toBe(false);
    expect(match('2001:db8:1::5')).toBe(true);
    expect(match('2001:db9::1')).toBe(false);
    expect(match('127.0.0.1')).toBe(true);
    expect(match('::1')).toBe(true);
    expect(match('::ffff:127.0.0.1')).toBe(true);
    expect(match('not-an-ip')).toBe(false);
  });

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    const none = compileIpMatcher([], 'trustProxy');
    expect(resolveClientIp(req('203.0.113.9', '1.1.1.1'), none)).toBe('203.0.113.9');
  });

  it('takes the right-most untrusted hop behind trusted proxies', () => {
    const trusted = compileIpMatcher(['10.0.0.0/8'], 'trustProxy');
    // client spoofs 6.6.6.6; the real client is 198.51.100.7; two trusted proxies appended.
    expect(resolveClientIp(req('10.0.0.2', '6.6.6.6, 198.51.100.7, 10.0.0.1'), trusted)).toBe('198.51.100.7');
  });

  it('falls back to the peer when the forwarded chain is malformed', () => {
    const trusted = compileIpMatcher(['loopback'], 'trustProxy');
    expect(resolveClientIp(req('127.0.0.1', 'garbage, <script>'), trusted)).toBe('127.0.0.1');
  });
});
