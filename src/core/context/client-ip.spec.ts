import { SecurityConfigError } from '../errors/security-config.error';
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
    ['::FFFF:7F00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:a01:203', '10.1.2.3'],
    ['2001:db8::ffff:1', '2001:db8::ffff:1'],
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

  it.each([
    [
      '10.0.0.0/',
      /trustProxy\[0\] "10\.0\.0\.0\/" is not an IP address.*: the prefix length after "\/" is missing \(it would trust every address\)/,
    ],
    ['10.0.0.0/ 8', /the prefix length after "\/" is not a whole number/],
    ['10.0.0.0/0x8', /the prefix length after "\/" is not a whole number/],
    ['10.0.0.0/8.0', /the prefix length after "\/" is not a whole number/],
    ['10.0.0.0/-1', /the prefix length after "\/" is not a whole number/],
    ['10.0.0.0/8/9', /it has more than one "\/"/],
    ['10.0.0.0/33', /the prefix length 33 is more than the 32 bits of an IPv4 address/],
    ['2001:db8::/129', /the prefix length 129 is more than the 128 bits of an IPv6 address/],
    ['2001:db8::/', /the prefix length after "\/" is missing/],
    ['::ffff:10.0.0.0/64', /an IPv4-mapped range needs a prefix length of 96 to 128, got 64/],
    ['/8', /is not an IP address/],
  ])('refuses the trustProxy entry %s at boot', (entry, message) => {
    expect(() => compileIpMatcher([entry], 'trustProxy')).toThrow(SecurityConfigError);
    expect(() => compileIpMatcher([entry], 'trustProxy')).toThrow(message);
  });

  it('names the entry as the user wrote the list (named ranges expand to several)', () => {
    expect(() => compileIpMatcher(['loopback', '10.0.0.0/'], 'trustProxy')).toThrow(/trustProxy\[1\]/);
  });

  it('matches IPv4-mapped IPv6 addresses and ranges as IPv4', () => {
    const match = compileIpMatcher(['::ffff:10.0.0.0/104', '192.168.1.1'], 'trustProxy');
    expect(match('10.9.8.7')).toBe(true);
    expect(match('::ffff:10.9.8.7')).toBe(true);
    expect(match('::ffff:a09:807')).toBe(true);
    expect(match('::ffff:192.168.1.1')).toBe(true);
    expect(match('11.0.0.1')).toBe(false);
    expect(match('::a09:807')).toBe(false); // IPv4-compatible, not mapped: a different address
    const v4 = compileIpMatcher(['127.0.0.0/8'], 'trustProxy');
    expect(v4('::ffff:7f00:1')).toBe(true);
    expect(compileIpMatcher(['0.0.0.0/0'], 'trustProxy')('2001:db8::1')).toBe(false);
  });

  it('trusts the forwarded chain when the socket peer is an IPv4-mapped trusted address', () => {
    const trusted = compileIpMatcher(['127.0.0.1'], 'trustProxy');
    expect(resolveClientIp(req('::ffff:127.0.0.1', '198.51.100.7'), trusted)).toBe('198.51.100.7');
    expect(resolveClientIp(req('::ffff:203.0.113.9', '198.51.100.7'), trusted)).toBe('203.0.113.9');
  });

  it('uses the left-most address when every hop is trusted', () => {
    const trusted = compileIpMatcher(['10.0.0.0/8'], 'trustProxy');
    expect(resolveClientIp(req('10.0.0.2', '10.0.0.5, 10.0.0.1'), trusted)).toBe('10.0.0.5');
  });

  it('never returns or trusts a malformed entry, skips empty ones, and accepts ports', () => {
    const trusted = compileIpMatcher(['10.0.0.0/8'], 'trustProxy');
    // Everything left of a malformed entry is unverifiable: the nearest checked address wins.
    expect(resolveClientIp(req('10.0.0.2', '6.6.6.6, not-an-ip, 10.0.0.1'), trusted)).toBe('10.0.0.1');
    expect(resolveClientIp(req('10.0.0.2', '6.6.6.6, 10.0.0.999'), trusted)).toBe('10.0.0.2');
    expect(resolveClientIp(req('10.0.0.2', ' , 198.51.100.7 , , 10.0.0.1,'), trusted)).toBe('198.51.100.7');
    expect(resolveClientIp(req('10.0.0.2', '198.51.100.7:4711, 10.0.0.1'), trusted)).toBe('198.51.100.7');
    expect(resolveClientIp(req('10.0.0.2', '[2001:DB8::7]:443'), trusted)).toBe('2001:db8::7');
    expect(resolveClientIp(req('10.0.0.2', '[2001:db8::7'), trusted)).toBe('10.0.0.2');
  });
});
