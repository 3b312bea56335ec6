import type { CliIo } from '../cli-io';
import { runRampart } from '../main';

/** Runs `rampart <argv>` in-process and collects what it prints. */
export async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
  const code = await runRampart(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('rampart cors', () => {
  it('prints the policy and its explanation', async () => {
    const r = await runCli([
      'cors',
      'staging',
      'https://staging.example.com,https://*.preview.example.com',
      '--credentials',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cors\.environments\.staging =/);
    expect(r.out).toMatch(/"credentials": true/);
    expect(r.out).toMatch(/any subdomain of preview\.example\.com/);
  });

  it('prints JSON with --json', async () => {
    const r = await runCli(['cors', 'production', 'https://a.example.com', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({
      environment: 'production',
      options: { origins: ['https://a.example.com'] },
    });
  });

  it('exits 1 with the boot error for a dangerous policy', async () => {
    const bad = await runCli(['cors', 'production', 'null']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/"null" origin/);
  });

  it.each([
    [['cors', 'prod'], /unknown environment "prod"/],
    [['cors', 'development', '--nope'], /Unknown option '--nope'/],
    [['cors', 'production', '--max-age'], /--max-age/],
    [['cors', 'production', '--max-age=-3'], /--max-age must be a whole number/],
    [['cors'], /missing the environment/],
  ])('exits 2 and names the bad argument in %j', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });
});

describe('rampart', () => {
  it.each([[['--help']], [['-h']], [['cors', '--help']], [['scan', '--help']]])(
    'prints help for %j on stdout and exits 0',
    async (argv) => {
      const r = await runCli(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: rampart/);
      expect(r.err).toBe('');
    },
  );

  it('names an unknown command and exits 2', async () => {
    const r = await runCli(['scna']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "scna"/);
  });

  it('prints its version', async () => {
    const r = await runCli(['--version']);
    expect(r.out).toMatch(/^\d+\.\d+\.\d+/);
  });
});
