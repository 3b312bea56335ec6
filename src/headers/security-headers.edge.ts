import type { EdgeHandler, EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import type { ResolvedHeadersOptions } from './headers.options';

/**
 * Edge step that writes the API security-header preset on every response (including preflights,
 * 404s and errors) and removes the headers that disclose the stack (`X-Powered-By`, `Server`).
 * Every string was computed at boot; per request it only copies them.
 *
 * @internal
 */
export class SecurityHeadersEdge implements EdgeHandler {
  private readonly names: readonly string[];
  private readonly values: readonly string[];
  private readonly remove: readonly string[];

  constructor(options: ResolvedHeadersOptions) {
    // Two flat arrays: the hot loop touches no tuple objects.
    this.names = options.set.map(([name]) => name);
    this.values = options.set.map(([, value]) => value);
    this.remove = options.remove;
  }

  handle(_req: EdgeRequest, res: EdgeResponse): boolean {
    const { names, values, remove } = this;
    for (let i = 0; i < names.length; i++) res.setHeader(names[i], values[i]);
    // Express sets X-Powered-By before any middleware runs, so removing it here is enough.
    for (let i = 0; i < remove.length; i++) res.removeHeader(remove[i]);
    return false;
  }
}
