import { createHash } from 'node:crypto';
import { ipv6Prefix } from './rate-limit-base.guard';

/**
 * The storage keys of one login attempt. The username's counters share the tag
 * `{login:<username digest>}` (one Cluster slot: they are counted in one script, and an admin reset
 * finds them all); the IP's counter has its own tag, `{login-ip:<ip digest>}`. Digests are SHA-256
 * (base64url): no username or address reaches the store.
 *
 * @internal
 */
export interface LoginKeys {
  /** Failures of this IP on this username. */
  ipUser: string;
  /** Failures on this username from any IP. */
  user: string;
  /** The IP digests with an `ipUser` counter for this username. */
  ips: string;
  /** Failures of this IP across usernames. */
  ip: string;
  /** The IP digest (the member of `ips`). */
  ipDigest: string;
}

/** Usernames are compared trimmed and case-insensitive, as the limiter has always keyed them. @internal */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** The address a client is tracked by: an IPv6 client by its prefix (`ipv6Groups` groups). @internal */
export function trackedAddress(address: string, ipv6Groups: number): string {
  return address.indexOf(':') === -1 ? address : ipv6Prefix(address, ipv6Groups);
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** `{login:<digest>}`: the tag of every per-username key. @internal */
export function usernameTag(username: string): string {
  return `{login:${digest(normalizeUsername(username))}}`;
}

/** The keys of a username's own state (no IP): its any-IP counter and its IP set. @internal */
export function usernameKeys(username: string): Pick<LoginKeys, 'user' | 'ips'> {
  const tag = usernameTag(username);
  return { user: `${tag}:any`, ips: `${tag}:ips` };
}

/** The per-IP key of a tracked address. @internal */
export function ipKey(tracked: string): string {
  return `{login-ip:${digest(tracked)}}`;
}

/** Every key of an attempt by `tracked` (see {@link trackedAddress}) on `username`. @internal */
export function loginKeys(tracked: string, username: string): LoginKeys {
  const tag = usernameTag(username);
  const full = digest(tracked);
  // 22 characters (132 bits) name the address inside the username's keys and set.
  const ipDigest = full.slice(0, 22);
  return { ipUser: `${tag}:ip:${ipDigest}`, user: `${tag}:any`, ips: `${tag}:ips`, ip: `{login-ip:${full}}`, ipDigest };
}
