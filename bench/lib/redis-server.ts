import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/** A redis-server process this test run started. */
export interface SpawnedRedis {
  port: number;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A free loopback port (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = '';
    socket.setTimeout(500);
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('PONG')) {
        socket.destroy();
        resolve(true);
      }
    });
  });
}

const INSTALL_HINT =
  'Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) so it is on PATH, ' +
  'or set REDIS_URL to a Redis the tests may use';

function spawnFailure(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT')
    return `redis-server was not found on PATH: the tests need a real Redis. ${INSTALL_HINT}.`;
  return `redis-server could not be started (${error.code ?? error.message}). ${INSTALL_HINT}.`;
}

/**
 * Spawns `redis-server` on a free loopback port with persistence off, waits until it answers
 * PING, and returns a handle to stop it. Used by the benchmark, by the Jest global setup and by
 * tests that stop and restart Redis on purpose (failure-policy tests). Pass `port` to restart on the same port, and
 * `command` to run another binary than the `redis-server` on PATH. A missing binary rejects with an
 * install hint instead of crashing Jest.
 */
export async function spawnRedis(port?: number, options: { command?: string } = {}): Promise<SpawnedRedis> {
  const chosen = port ?? (await freePort());
  const child: ChildProcess = spawn(
    options.command ?? 'redis-server',
    ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: 'ignore' },
  );
  let exited = false;
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('exit', () => {
    exited = true;
  });
  // Without this listener a missing binary (ENOENT) is an uncaught 'error' event that kills Jest
  // with a bare "spawn redis-server ENOENT".
  child.once('error', (error: NodeJS.ErrnoException) => {
    spawnError = error;
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  while (!(await ping(chosen))) {
    if (spawnError) throw new Error(spawnFailure(spawnError));
    if (exited) throw new Error(`redis-server exited before answering on port ${chosen} (is it installed?)`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${chosen} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    pid: child.pid ?? -1,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
