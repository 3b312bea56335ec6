import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../cli-io';
import { runRampart } from '../main';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
  const code = await runRampart(['scan', ...argv], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server) {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-cli-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('rampart scan: bad input exits 2 with a message naming what failed, never a stack trace', () => {
  let api: { server: Server; url: string };
  beforeAll(async () => {
    api = await listen((req, res) => {
      if (req.url === '/login') res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"no"}');
      else res.writeHead(404).end();
    });
  });
  afterAll(() => close(api.server));

  it.each([
    [[], /--target is required/],
    [['--target', 'ftp://x'], /--target must be an http\(s\) URL/],
    [['--target', 'http://127.0.0.1:1', '--budgett', '5'], /Unknown option '--budgett'/],
    [['--target', 'http://127.0.0.1:1', '--budget', '0'], /--budget must be a positive whole number/],
    [['--target', 'http://127.0.0.1:1', '--fail-on', 'severe'], /--fail-on must be one of/],
    [['--target', 'http://127.0.0.1:1', '--checks', 'bola,nope'], /unknown check "nope"/],
    [
      ['--target', 'http://127.0.0.1:1', '--sarif', 'x.sarif'],
      /--sarif needs an OpenAPI file, --inventory or --config/,
    ],
    [['--target', 'http://127.0.0.1:1', 'extra'], /unexpected argument "extra"/],
  ])('usage %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('an unreachable target', async () => {
    const r = await run(['--target', 'http://127.0.0.1:1']);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(/the target http:\/\/127\.0\.0\.1:1 is unreachable: ECONNREFUSED/);
  });

  it('a target that never answers, bounded by --timeout', async () => {
    const hang = await listen(() => undefined);
    try {
      const r = await run(['--target', hang.url, '--timeout', '200']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/unreachable: timed out after 200 ms/);
    } finally {
      await close(hang.server);
    }
  });

  it('a malformed OpenAPI document', async () => {
    const spec = file('bad.yaml', 'openapi: 3.0.3\ninfo: { title: x }\npaths:\n  /a:\n    get: { responses: 12 }\n');
    const r = await run(['--target', api.url, '--openapi', spec]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the OpenAPI document .*bad\.yaml is invalid/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('a missing OpenAPI document', async () => {
    const r = await run(['--target', api.url, '--openapi', join(dir, 'missing.yaml')]);
    expect(r).toMatchObject({ code: 2 });
    expect(r.err).toMatch(/cannot read the OpenAPI document .*missing\.yaml: ENOENT/);
  });

  it('an identity whose login fails (the password is never printed)', async () => {
    const config = file(
      'login.yaml',
      'identities:\n  alice:\n    login: { path: /login, body: { username: alice, password: s3cret-pass }, token: token }\n',
    );
    const r = await run(['--target', api.url, '--config', config]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/login of identity "alice" failed: POST \/login answered 401/);
    expect(r.err).not.toMatch(/s3cret-pass/);
  });

  it.each([
    ['identities:\n  a: { role: user }\n', /identities\.a needs exactly one of headers or login/],
    ['victim: mallory\n', /victim names "mallory", which is not under identities/],
    ['identitites: {}\n', /identitites is not a known option/],
    ['limits: { budget: -1 }\n', /limits\.budget must be a positive whole number/],
    [
      'identities:\n  a: { headers: { Authorization: "Bearer ${RAMPART_SPEC_UNSET}" } }\n',
      /uses \$\{RAMPART_SPEC_UNSET\}, which is not set/,
    ],
    ['identities: [\n', /is not valid YAML/],
  ])('a bad config file %#', async (yaml, message) => {
    const r = await run(['--target', api.url, '--config', file('bad-config.yaml', yaml)]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('rampart scan: a target with no inputs', () => {
  it('probes what needs no route list and writes the JSON report to stdout', async () => {
    const api = await listen((req, res) => {
      if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain' }).end('http_requests_total 12\n');
      else res.writeHead(404, { 'x-powered-by': 'Express' }).end();
    });
    try {
      const r = await run(['--target', api.url, '--budget', '100']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out) as {
        findings: Array<{ rule: string; severity: string }>;
        requests: { sent: number };
      };
      expect(report.findings.map((f) => f.rule).sort()).toEqual([
        'API8-MISSING-NOSNIFF',
        'API8-VERSION-BANNER',
        'API9-METRICS-EXPOSED',
      ]);
      expect(report.requests.sent).toBeLessThanOrEqual(100);
      expect(r.err).toMatch(/3 finding\(s\) \(1 medium, 2 low\)/);
    } finally {
      await close(api.server);
    }
  });

  it('shows progress (check and requests used) only on an interactive terminal', async () => {
    const api = await listen((_req, res) => res.writeHead(404).end());
    try {
      for (const interactive of [true, false]) {
        const lines: string[] = [];
        const io: CliIo = { out: () => undefined, err: () => undefined, interactive, status: (t) => lines.push(t) };
        expect(await runRampart(['scan', '--target', api.url, '--budget', '60'], io)).toBe(0);
        if (!interactive) expect(lines).toEqual([]);
        else {
          expect(lines).toContainEqual(
            expect.stringMatching(/^rampart scan: check 1\/\d+ misconfiguration, \d+\/60 requests$/),
          );
          expect(lines).toContainEqual(expect.stringMatching(/, 50\/60 requests$/));
          expect(lines[lines.length - 1]).toBe('');
        }
      }
    } finally {
      await close(api.server);
    }
  });

  it('stops at the budget and says the scan is incomplete', async () => {
    const api = await listen((_req, res) => res.writeHead(404).end());
    try {
      const r = await run(['--target', api.url, '--budget', '10']);
      const report = JSON.parse(r.out) as { complete: boolean; incomplete: string[]; requests: { sent: number } };
      expect(report.complete).toBe(false);
      expect(report.requests.sent).toBe(10);
      expect(r.err).toMatch(/INCOMPLETE/);
      expect(r.err).toMatch(/incomplete: request budget \(10\) spent/);
    } finally {
      await close(api.server);
    }
  });
});
