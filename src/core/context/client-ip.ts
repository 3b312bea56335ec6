import { isIP } from 'node:net';
import { SecurityConfigError } from '../errors/security-config.error';
import { headerValue, type HttpRequestLike } from './get-request';

interface Cidr {
  v6: boolean;
  base: bigint;
  mask: bigint;
}

/** Named ranges accepted in `trustProxy` besides plain IPs and CIDRs. */
const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
};

/** `::ffff:1.2.3.4` → `1.2.3.4`; strips an IPv6 zone. @internal */
export function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  const zone = lower.indexOf('%');
  return zone === -1 ? lower : lower.slice(0, zone);
}

function toBigInt(ip: string): { v6: boolean; value: bigint } | undefined {
  const kind = isIP(ip);
  if (kind === 4) {
    return { v6: false, value: ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  if (kind === 6) {
    const [head, tail = ''] = ip.split('::');
    const parse = (s: string) => (s ? s.split(':') : []);
    let groups = parse(head);
    let tailGroups = parse(tail);
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
    const expand = (list: string[]) =>
      list.flatMap((g) => {
        if (!g.includes('.')) return [g];
        const n = g.split('.').map(Number);
        return [((n[0] << 8) | n[1]).toString(16), ((n[2] << 8) | n[3]).toString(16)];
      });
    groups = expand(groups);
    tailGroups = expand(tailGroups);
    const missing = ip.includes('::') ? 8 - groups.length - tailGroups.length : 0;
    const all = [...groups, ...Array<string>(missing).fill('0'), ...tailGroups];
    return { v6: true, value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n) };
  }
  return undefined;
}

/**
 * Compiles the `trustProxy` list (IPs, CIDRs, or `loopback` / `private` / `linklocal`) once at
 * boot into a matcher. Throws a {@link SecurityConfigError} for an entry that is neither.
 *
 * @internal
 */
export function compileIpMatcher(entries: readonly string[], path: string): (ip: string) => boolean {
  const cidrs: Cidr[] = [];
  entries
    .flatMap((e) => NAMED[e.toLowerCase()] ?? [e])
    .forEach((entry, i) => {
      const [addr, bitsText] = entry.split('/');
      const parsed = toBigInt(normalizeIp(addr));
      const width = parsed?.v6 ? 128 : 32;
      const bits = bitsText === undefined ? width : Number(bitsText);
      if (!parsed || !Number.isInteger(bits) || bits < 0 || bits > width) {
        throw SecurityConfigError.create(
          `${path}[${i}]`,
          `"${entry}" is not an IP address, a CIDR range, or one of loopback, private, linklocal`,
          'Use e.g. "10.0.0.0/8", "127.0.0.1" or "loopback"',
        );
      }
      const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
      cidrs.push({ v6: parsed.v6, base: parsed.value & mask, mask });
    });
  if (cidrs.length === 0) return () => false;
  return (ip: string) => {
    const parsed = toBigInt(normalizeIp(ip));
    if (!parsed) return false;
    return cidrs.some((c) => c.v6 === parsed.v6 && (parsed.value & c.mask) === c.base);
  };
}

/**
 * The client's IP. The socket address, unless the socket peer is a trusted proxy: then the
 * right-most `X-Forwarded-For` entry that is not itself a trusted proxy. A forged
 * `X-Forwarded-For` from an untrusted peer is ignored entirely.
 *
 * @internal
 */
export function resolveClientIp(req: HttpRequestLike, isTrusted: (ip: string) => boolean): string {
  const raw = (req.raw as HttpRequestLike | undefined) ?? req;
  const peer = normalizeIp(raw.socket?.remoteAddress ?? '');
  if (!peer || !isTrusted(peer)) return peer || 'unknown';
  const forwarded = headerValue(req, 'x-forwarded-for');
  if (!forwarded) return peer;
  const hops = forwarded.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i].trim());
    if (!isIP(hop)) return peer; // malformed chain: do not trust any of it
    if (!isTrusted(hop)) return hop;
  }
  return peer;
}
