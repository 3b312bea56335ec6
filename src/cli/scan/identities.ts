import type { ScanHttpClient } from './http-client';
import type { IdentityConfig } from './scan-config';
import type { Identity } from './scan-context';

/** An identity could not be established (login failed); the command exits 2. @internal */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

/** Reads a dot path (`data.token`, `tokens.0`) from parsed JSON. @internal */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Turns one configured identity into request headers: static headers as given, or a login
 * request whose JSON answer holds the token. A failed login is an {@link IdentityError} that names
 * the identity and the status, never the body (it may echo the password).
 *
 * @internal
 */
export async function establishIdentity(client: ScanHttpClient, config: IdentityConfig): Promise<Identity> {
  if (config.headers) {
    const auth = Object.entries(config.headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
    const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth);
    return {
      name: config.name,
      role: config.role,
      headers: { ...config.headers },
      token: bearer ? bearer[1] : undefined,
      tokenHeader: bearer ? 'Authorization' : undefined,
      tokenPrefix: bearer ? 'Bearer ' : undefined,
    };
  }
  const login = config.login!;
  const exchange = await client.send({
    method: login.method,
    path: login.path,
    body: login.body,
    identity: config.name,
  });
  const res = exchange.response;
  if (!res)
    throw new IdentityError(
      `login of identity "${config.name}" failed: ${login.method} ${login.path}: ${exchange.error}`,
    );
  if (res.status < 200 || res.status > 299)
    throw new IdentityError(
      `login of identity "${config.name}" failed: ${login.method} ${login.path} answered ${res.status}`,
    );
  let token: unknown;
  try {
    token = readPath(JSON.parse(res.body), login.token);
  } catch {
    throw new IdentityError(`login of identity "${config.name}": ${login.method} ${login.path} did not answer JSON`);
  }
  if (typeof token !== 'string' || token === '')
    throw new IdentityError(
      `login of identity "${config.name}": no token at "${login.token}" in the answer of ${login.method} ${login.path}`,
    );
  return {
    name: config.name,
    role: config.role,
    headers: { [login.header]: `${login.prefix}${token}` },
    token,
    tokenHeader: login.header,
    tokenPrefix: login.prefix,
  };
}
