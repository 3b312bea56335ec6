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

/** `::ffff:1.2.3.4` (and `::ffff:102:304`) → `1.2.3.4`; strips an IPv6 zone. @internal */
export function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:')) {
    const tail = lower.slice(7);
    if (isIP(tail) === 4) return tail;
  }
  const zone = lower.indexOf('%');
  const bare = zone === -1 ? lower : lower.slice(0, zone);
  // Other spellings of an IPv4-mapped address (hex tail, expanded zeros) are rare: parse only then.
  if (bare.includes('ffff') && isIP(bare) === 6) {
    const parsed = toBigInt(bare);
    if (parsed && parsed.value >> 32n === 0xffffn) return formatIpv4(parsed.value & 0xffffffffn);
  }
  return bare;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
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

const RANGE_HINT = 'Use e.g. "10.0.0.0/8", "2001:db8::/32", "127.0.0.1" or "loopback"';

/** Parses one IP or CIDR entry; a problem is reported as the text of a SecurityConfigError. */
function parseCidr(entry: string): Cidr | string {
  const invalid = (why?: string) =>
    `"${entry}" is not an IP address, a CIDR range, or one of loopback, private, linklocal${why ? `: ${why}` : ''}`;
  const parts = entry.split('/');
  if (parts.length > 2) return invalid('it has more than one "/"');
  const [addr, bitsText] = parts;
  const parsed = toBigInt(normalizeIp(addr));
  if (!parsed) return invalid();
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.0) is matched as the IPv4 address it carries.
  const mapped = isIP(addr.split('%')[0]) === 6 && !parsed.v6;
  const width = parsed.v6 ? 128 : 32;
  if (bitsText === undefined) return { v6: parsed.v6, base: parsed.value, mask: (1n << BigInt(width)) - 1n };
  // Number('') is 0: a bare "10.0.0.0/" must never become /0, which would trust every address.
  if (bitsText === '') return invalid('the prefix length after "/" is missing (it would trust every address)');
  if (!/^\d{1,3}$/.test(bitsText)) return invalid('the prefix length after "/" is not a whole number');
  const given = Number(bitsText);
  if (mapped && (given < 96 || given > 128)) {
    return invalid(`an IPv4-mapped range needs a prefix length of 96 to 128, got ${given}`);
  }
  if (!mapped && given > width) {
    return invalid(`the prefix length ${given} is more than the ${width} bits of an IPv${parsed.v6 ? 6 : 4} address`);
  }
  const bits = mapped ? given - 96 : given;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { v6: parsed.v6, base: parsed.value & mask, mask };
}

/**
 * Compiles the `trustProxy` list (IPs, CIDRs, or `loopback` / `private` / `linklocal`) once at
 * boot into a matcher. Throws a {@link SecurityConfigError} for an entry that is neither, and for
 * a CIDR whose prefix length is missing (`10.0.0.0/`), not a number, or out of range. IPv4-mapped
 * IPv6 addresses (`::ffff:10.0.0.1`), in the list or tested, are treated as their IPv4 address.
 *
 * @internal
 */
export function compileIpMatcher(entries: readonly string[], path: string): (ip: string) => boolean {
  const cidrs: Cidr[] = [];
  entries.forEach((entry, i) => {
    for (const item of NAMED[entry.toLowerCase()] ?? [entry]) {
      const cidr = parseCidr(item);
      if (typeof cidr === 'string') throw SecurityConfigError.create(`${path}[${i}]`, cidr, RANGE_HINT);
      cidrs.push(cidr);
    }
  });
  if (cidrs.length === 0) return () => false;
  return (ip: string) => {
    const parsed = toBigInt(normalizeIp(ip));
    if (!parsed) return false;
    return cidrs.some((c) => c.v6 === parsed.v6 && (parsed.value & c.mask) === c.base);
  };
}

/** One `X-Forwarded-For` element as a normalized IP (`ip:port` and `[v6]:port` accepted), else undefined. */
function parseHop(text: string): string | undefined {
  let address = text;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) address = bracketed[1];
  else {
    const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
    if (withPort) address = withPort[1];
  }
  const ip = normalizeIp(address);
  return isIP(ip) ? ip : undefined;
}

/**
 * The client's IP. The socket address, unless the socket peer is a trusted proxy: then the
 * right-most `X-Forwarded-For` entry that is not itself a trusted proxy, or the left-most entry
 * when every entry is trusted (a client inside the trusted network). A forged `X-Forwarded-For`
 * from an untrusted peer is ignored entirely. Empty list elements are skipped; a malformed entry
 * is never returned and never trusted: the walk stops there, and the nearest address already
 * checked (a trusted hop, or the peer) is the answer, since nothing left of it can be vouched for.
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
  let nearest = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const text = hops[i].trim();
    if (text === '') continue; // an empty list element carries nothing (RFC 9110 §5.6.1)
    const hop = parseHop(text);
    if (hop === undefined) return nearest;
    if (!isTrusted(hop)) return hop;
    nearest = hop;
  }
  return nearest;
}
