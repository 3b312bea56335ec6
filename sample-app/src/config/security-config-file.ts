import { loadSecurityConfig, type SecurityModuleOptions } from 'nestjs-rampart';

type Tree = Record<string, unknown>;

const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RegExp);

/** `over` merged into `base`: objects key by key, anything else (arrays, functions) replaced. */
function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isTree(value) && isTree(out[key]) ? merge(out[key] as Tree, value) : value;
  }
  return out;
}

/**
 * `SECURITY_CONFIG=path/to/security.yaml`: the file (sectioned, or the seed's flat `config.yaml`)
 * is loaded with `loadSecurityConfig` for `NODE_ENV`'s profile and laid over the sample's options
 * in code, so the file's values win and what only code can give (resource loaders, policies,
 * event sinks) stays. Unset: the options in code alone.
 */
export function withSecurityConfigFile(
  options: SecurityModuleOptions,
  env: NodeJS.ProcessEnv = process.env,
): SecurityModuleOptions {
  if (!env.SECURITY_CONFIG) return options;
  const fromFile = loadSecurityConfig(env.SECURITY_CONFIG, { env });
  const merged = merge(options as Tree, fromFile as Tree) as SecurityModuleOptions;
  // The file's JWT key (auth.algorithm + auth.secret) replaces the sample's `jwt.secret` shorthand
  // rather than adding a second key.
  if (fromFile.auth?.jwt?.keys && merged.auth?.jwt) {
    merged.auth = { ...merged.auth, jwt: { ...merged.auth.jwt, secret: undefined } };
  }
  return merged;
}
