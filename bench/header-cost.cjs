#!/usr/bin/env node
/*
 * `node bench/header-cost.cjs [--trials 15] [--requests 4000]`: what the response headers of a
 * public GET cost on Fastify, apart from everything else the library does. Needs dist/ (any
 * `node bench/run.cjs` builds it).
 *
 * One process holds plain Fastify servers that differ only in the headers an `onRequest` hook sets
 * (the same calls the edge makes: `reply.header` per header, the preset's removals), and a raw TCP
 * client that pipelines keep-alive GETs to each in turn. It prints the process CPU (server and
 * client) per request, minimum and median over the trials, and the bytes of each response: the
 * differences between rows are what setting, validating (Node, when the head is written), sending
 * and receiving those headers costs. The minimum is the figure to compare on a busy machine.
 */
const net = require('node:net');
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { parseArgs } = require('node:util');

const root = join(__dirname, '..');
const Fastify = require(require.resolve('fastify', { paths: [root] }));
const { resolveHeadersOptions, DENY_ALL_PERMISSIONS_POLICY } = require(
  join(root, 'dist', 'headers', 'headers.options.js'),
);

const { values } = parseArgs({ options: { trials: { type: 'string' }, requests: { type: 'string' } } });
const TRIALS = Number(values.trials ?? 15);
const REQUESTS = Number(values.requests ?? 4000);
const WINDOW = 32;

const preset = resolveHeadersOptions({}, {});
const spaced = resolveHeadersOptions({ permissionsPolicy: DENY_ALL_PERMISSIONS_POLICY.split(',').join(', ') }, {});

/** `set`: the preset's pairs (undefined: no hook at all); `raw`: set on the raw response instead. */
const VARIANTS = {
  'bare (no hook)': undefined,
  'request id, Vary, RateLimit (headers.enabled: false)': { set: [], remove: [] },
  'the above + the preset (defaults)': preset,
  'same, Permissions-Policy with ", " separators': spaced,
  'same as defaults, preset set on the raw response': { ...preset, raw: true },
};

async function serve(variant) {
  const app = Fastify({ logger: false });
  if (variant) {
    const names = variant.set.map(([name]) => name);
    const values = variant.set.map(([, value]) => value);
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('x-request-id', randomUUID());
      if (variant.raw) for (let i = 0; i < names.length; i++) reply.raw.setHeader(names[i], values[i]);
      else for (let i = 0; i < names.length; i++) reply.header(names[i], values[i]);
      for (const name of variant.remove) reply.removeHeader(name);
      reply.header('vary', 'Origin');
      reply.header('ratelimit-policy', '"default";q=1000000;w=60');
      reply.header('ratelimit', '"default";r=999999;t=45');
      done();
    });
  }
  app.get('/public', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

/** Sends `total` pipelined GETs (at most WINDOW in flight); resolves with the bytes per response. */
function load(port, total) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const request = Buffer.from('GET /public HTTP/1.1\r\nHost: bench\r\n\r\n');
    const body = '{"ok":true}';
    let sent = 0;
    let received = 0;
    let bytes = 0;
    let tail = '';
    const send = () => {
      const n = Math.min(WINDOW - (sent - received), total - sent);
      if (n > 0) socket.write(Buffer.concat(new Array(n).fill(request)));
      sent += Math.max(0, n);
    };
    socket.on('error', reject);
    socket.on('connect', send);
    socket.on('data', (chunk) => {
      bytes += chunk.length;
      const text = tail + chunk.toString('latin1');
      for (let i = text.indexOf(body); i !== -1; i = text.indexOf(body, i + body.length)) received++;
      tail = text.slice(-body.length + 1);
      if (received >= total) {
        socket.destroy();
        resolve(bytes / total);
      } else if (sent - received < WINDOW / 2) send();
    });
  });
}

async function main() {
  const names = Object.keys(VARIANTS);
  const apps = [];
  for (const name of names) apps.push(await serve(VARIANTS[name]));
  const ports = apps.map((app) => app.server.address().port);
  for (const port of ports) await load(port, REQUESTS / 2); // warm-up
  const samples = names.map(() => []);
  const sizes = names.map(() => 0);
  for (let t = 0; t < TRIALS; t++) {
    for (let v = 0; v < names.length; v++) {
      const before = process.cpuUsage();
      sizes[v] = await load(ports[v], REQUESTS);
      const used = process.cpuUsage(before);
      samples[v].push((used.user + used.system) / REQUESTS);
    }
  }
  process.stdout.write('| headers | CPU µs/request, min | median | bytes/response |\n|---|---|---|---|\n');
  names.forEach((name, v) => {
    const sorted = samples[v].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    process.stdout.write(`| ${name} | ${sorted[0].toFixed(1)} | ${median.toFixed(1)} | ${Math.round(sizes[v])} |\n`);
  });
  await Promise.all(apps.map((app) => app.close()));
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
