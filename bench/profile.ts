import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchToken, keysFor, signJwt, userClaims } from './lib/fixtures';
import { BENCH_DIR, REPO_ROOT } from './lib/paths';
import { measure, probe, requestShape } from './lib/load';
import { type BenchRedis, pin, startRedis, startServer } from './lib/processes';
import { ADAPTERS, scenarioById, type ScenarioId, STACKS } from './lib/scenarios';

/**
 * `npm run bench -- --profile jwt-get,full-memory [--stack rampart] [--adapter fastify] [--duration 10]`
 *
 * Starts one server with `--cpu-prof`, loads one scenario for `duration` seconds, stops the server
 * (which writes the profile) and prints where the server's CPU time went: by package/library
 * folder (self time), the hottest functions (self time) and the library's own functions
 * (inclusive time). Profiles and reports go to bench/results/profiles/.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  /** Monotonic clock, µs: the same clock as `process.hrtime` in any process of this machine. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A time window on the monotonic clock (µs). */
interface Window {
  from: number;
  to: number;
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

const ROOT = REPO_ROOT;

/** Which package or library folder a script belongs to. */
function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = path.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith('node:')) return 'node (core)';
  if (path.startsWith(join(ROOT, 'dist'))) return `rampart: ${path.slice(join(ROOT, 'dist').length + 1).split('/')[0]}`;
  if (path.startsWith(join(ROOT, 'bench'))) return 'bench app';
  return path;
}

function where(frame: CallFrame): string {
  const path = frame.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
  const short = path.includes('node_modules/') ? path.slice(path.lastIndexOf('node_modules/') + 13) : path;
  return `${frame.functionName || '(anonymous)'} ${short ? `${short}:${frame.lineNumber + 1}` : ''}`.trim();
}

/**
 * Self time by area and by function, inclusive time of the library's functions. Only samples
 * inside `window` count (the measured load, not boot or warm-up) when the window holds any.
 */
export function analyse(profile: CpuProfile, window?: Window, requests?: number, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  const inWindow = window ? times.filter((x) => x >= window.from && x <= window.to).length : 0;
  const counted = (i: number): boolean =>
    !window || inWindow === 0 || (times[i] >= window.from && times[i] <= window.to);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    if (counted(i)) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  let busy = 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    busy += us;
    const a = area(frame.url, frame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    functions.set(where(frame), (functions.get(where(frame)) ?? 0) + us);
  }

  // Charge every sample to the first frame up its stack that is not Node core or native code:
  // `writev` under fastify's reply counts for fastify, `setHeader` under a rampart edge step
  // counts for that step. Library functions are charged only when no framework frame (fastify,
  // Nest, rxjs...) sits between them and the sample, so a hook that calls `done()` is not
  // charged for the whole route that runs inside it.
  const callers = new Map<string, number>();
  const library = new Map<string, number>();
  let libraryTotal = 0;
  for (const [id, us] of self) {
    const leaf = byId.get(id)?.callFrame;
    if (!leaf || leaf.functionName === '(idle)') continue;
    let owner: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame || !frame.url || frame.url.startsWith('node:')) continue;
      owner = area(frame.url, frame.functionName);
      if (owner.startsWith('rampart: ')) {
        library.set(where(frame), (library.get(where(frame)) ?? 0) + us);
        libraryTotal += us;
      }
      break;
    }
    const key = owner ?? area(leaf.url, leaf.functionName);
    callers.set(key, (callers.get(key) ?? 0) + us);
  }

  const pct = (us: number): string => `${((100 * us) / busy).toFixed(1)}%`;
  const perReq = (us: number): string => (requests ? (us / requests).toFixed(1) : '');
  const table = (title: string, rows: Map<string, number>, n: number): string =>
    [
      `| ${title} | share of busy CPU | ms | µs/request |`,
      '| --- | --- | --- | --- |',
      ...[...rows.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(
          ([k, us]) => `| \`${k.replace(/\|/g, '\\|')}\` | ${pct(us)} | ${(us / 1000).toFixed(0)} | ${perReq(us)} |`,
        ),
    ].join('\n');
  const scope =
    window && inWindow > 0 ? `${inWindow} samples taken during the measured load` : 'all samples (boot included)';
  const perRequest = requests ? `, **${(busy / requests).toFixed(0)} µs of server CPU per request**` : '';
  return [
    `busy CPU: ${(busy / 1000).toFixed(0)} ms (${scope})${perRequest}`,
    '',
    '#### Self time by package / library folder',
    '',
    table('area', areas, 20),
    '',
    '#### Hottest functions (self time)',
    '',
    table('function', functions, top),
    '',
    '#### Time by package, Node core and native calls charged to their caller',
    '',
    table('package', callers, 20),
    '',
    `#### nestjs-rampart functions, own code plus the Node calls they make (total ${pct(libraryTotal)})`,
    '',
    table('function', library, top),
  ].join('\n');
}

function newestProfile(dir: string, since: number): string | undefined {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

async function main(): Promise<void> {
  pin(process.pid, 'others');
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      profile: { type: 'string' },
      stack: { type: 'string', default: 'rampart' },
      adapter: { type: 'string', default: 'fastify' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      out: { type: 'string' },
    },
  });
  const scenarios = (values.profile ?? 'jwt-get').split(',') as ScenarioId[];
  for (const id of scenarios) scenarioById(id);
  const stack = STACKS.find((s) => s === values.stack);
  const adapter = ADAPTERS.find((a) => a === values.adapter);
  if (!stack || !adapter)
    throw new Error(`--stack must be one of ${STACKS.join(',')}, --adapter one of ${ADAPTERS.join(',')}`);
  const dir = values.out ?? join(BENCH_DIR, 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  const reports: string[] = [];
  let redis: BenchRedis | undefined;
  try {
    if (scenarios.some((id) => scenarioById(id).redis)) redis = await startRedis();
    for (const id of scenarios) {
      const scenario = scenarioById(id);
      const started = Date.now();
      const server = await startServer({
        stack,
        adapter,
        scenarios: [id],
        redisUrl: redis?.url,
        execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'],
      });
      const app = server.ready.apps[0];
      if (app?.status !== 'ok' || !app.port) {
        await server.stop();
        reports.push(`### ${stack} / ${adapter} / ${id}\n\n${app?.status ?? 'error'}: ${app?.reason ?? 'no app'}`);
        continue;
      }
      const tokens =
        (scenario.tokens ?? 1) > 1
          ? Array.from({ length: scenario.tokens ?? 1 }, (_, i) =>
              signJwt(keysFor('HS256'), userClaims({ jti: `p-${i}` })),
            )
          : [benchToken()];
      const url = `http://127.0.0.1:${app.port}${scenario.path}`;
      const shape = requestShape(scenario, app.headers ?? {}, tokens);
      const check = await probe(url, shape);
      const connections = Number(values.connections);
      await measure(url, shape, { connections, durationSec: 1, warmupSec: 1 });
      const window: Window = { from: monotonicUs(), to: 0 };
      const sample = await measure(url, shape, { connections, durationSec: Number(values.duration), warmupSec: 0 });
      window.to = monotonicUs();
      await server.stop();
      const file = newestProfile(dir, started);
      if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
      const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      const target = join(dir, `${stack}-${adapter}-${id}.cpuprofile`);
      writeFileSync(target, JSON.stringify(profile));
      rmSync(file);
      reports.push(
        `### ${stack} / ${adapter} / ${id}: ${Math.round(sample.rps)} req/s under --cpu-prof ` +
          `(p50 ${sample.p50} ms, p99 ${sample.p99} ms, first response ${check.status}, ${sample.non2xx} non-2xx` +
          `${sample.mismatches ? `, ${sample.mismatches} GraphQL errors` : ''})\n\n` +
          `profile: ${target}\n\n${analyse(profile, window, sample.requests)}`,
      );
    }
  } finally {
    await redis?.stop();
  }
  const markdown = `${reports.join('\n\n')}\n`;
  writeFileSync(join(dir, `report-${stack}-${adapter}-${scenarios.join('+')}.md`), markdown);
  process.stdout.write(markdown);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
