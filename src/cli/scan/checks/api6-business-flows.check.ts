import type { ScanContext } from '../scan-context';
import type { HttpExchange } from '../scan.types';
import { schemaProperties } from '../sample-values.util';
import { isOk, statusOf, type ScanCheck } from './check';

const REPEATS = 10;
const AMOUNT = /^(amount|quantity|qty|price|total|count|credits|points|units)$/i;
const advertises = (x: HttpExchange) => Object.keys(x.response?.headers ?? {}).some((h) => /^(x-)?ratelimit/.test(h));

/**
 * API6 (review level): each operation the config marks as a sensitive business flow is repeated
 * a few times (no 429 and no advertised limit: a "review" finding), and numeric amount fields are
 * sent negative (accepted: a finding). Business rules cannot be known from outside; these are
 * heuristics, reported as such.
 *
 * @internal
 */
export const businessFlowCheck: ScanCheck = {
  id: 'business-flows',
  owasp: 'API6',
  title: 'Sensitive business flows (review)',
  async run(ctx: ScanContext) {
    const who = ctx.victim ?? [...ctx.identities.values()][0];
    const flows = ctx.usable().filter((o) => ctx.config.sensitiveFlows.includes(o.key));
    if (!who || flows.length === 0)
      return ctx.skip('business-flows', 'API6', 'no sensitiveFlows in --config (and an identity)');
    for (const op of flows) {
      const path = ctx.pathOn(op, ctx.objectFor(op, who.name));
      if (!path) {
        ctx.skip('business-flows', 'API6', 'no object id to fill the path with', op);
        continue;
      }
      const runs: HttpExchange[] = [];
      for (let i = 0; i < REPEATS; i++)
        runs.push(await ctx.send(who, op.method, path, { body: ctx.bodyFor(op), headers: ctx.headersFor(op) }));
      const served = runs.filter(isOk).length;
      if (served < REPEATS || runs.some(advertises))
        ctx.pass(
          'flow-repetition',
          'API6',
          `${served}/${REPEATS} repetitions served${runs.some(advertises) ? '; a rate limit is advertised' : ''}`,
          op,
        );
      else
        ctx.report('API6-FLOW-NOT-LIMITED', {
          operation: op,
          message: `${op.key} (marked sensitive) ran ${REPEATS} times in a row for ${who.name} with no limit, 429 or rate-limit header. Review whether automation can abuse it.`,
          evidence: [runs[0], runs[runs.length - 1]],
        });
      const body = ctx.bodyFor(op);
      // Declared fields, or those of the configured body when the schema lists none.
      const fields = [
        ...Object.keys(schemaProperties(op.requestSchema)),
        ...Object.keys(body && typeof body === 'object' ? body : {}),
      ];
      const field = fields.find((k) => AMOUNT.test(k));
      if (!field || !body || typeof body !== 'object') {
        ctx.skip('negative-amount', 'API6', 'no amount-like field in the request schema or the configured body', op);
        continue;
      }
      const negative = await ctx.send(who, op.method, path, {
        body: { ...body, [field]: -1 },
        headers: ctx.headersFor(op),
      });
      if (isOk(negative))
        ctx.report('API6-NEGATIVE-AMOUNT', {
          operation: op,
          message: `${op.key} accepted ${field}: -1 (${statusOf(negative)}).`,
          evidence: [negative],
        });
      else ctx.pass('negative-amount', 'API6', `${field}: -1 refused (${statusOf(negative)})`, op);
    }
  },
};
