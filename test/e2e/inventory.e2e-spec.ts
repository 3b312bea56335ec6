import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { SecurityConfigError, SecurityInventory, type InventoryDocument, type InventoryRoute } from 'nestjs-rampart';
import {
  AcceptedController,
  PLANTED_WARNINGS,
  RiskyController,
  SafeController,
  riskyAppModule,
} from '../fixtures/inventory/risky-app';
import { ADAPTERS, bootApp } from '../utils/app';

/** Collects what the app logs, by level. */
class CollectingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
}

function byId(routes: readonly InventoryRoute[], id: string): InventoryRoute {
  const route = routes.find((r) => r.id === id);
  if (!route) throw new Error(`no route ${id} in ${routes.map((r) => r.id).join(', ')}`);
  return route;
}

describe.each(ADAPTERS)('route inventory: risk warnings (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const logger = new CollectingLogger();
  const dir = mkdtempSync(join(tmpdir(), 'rampart-inventory-'));
  const file = join(dir, 'nested', 'inventory.json');

  beforeAll(async () => {
    ({ app, url } = await bootApp(
      adapter,
      riskyAppModule([RiskyController, SafeController, AcceptedController], { inventory: { file } }),
      undefined,
      (a) => a.useLogger(logger),
    ));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds exactly the planted risks, one per warning code', () => {
    const routes = app.get(SecurityInventory).routes();
    const found = routes.flatMap((r) => r.warnings.map((w) => [r.id, w.code]));
    expect(found.sort()).toEqual([...PLANTED_WARNINGS].sort());
    for (const route of routes) for (const w of route.warnings) expect(w.message).toMatch(/\. |: /);
  });

  it('keeps the reason of an accepted risk and reports no warning for it', () => {
    const route = byId(app.get(SecurityInventory).routes(), 'GET /accepted/catalogue/:id');
    expect(route.warnings).toEqual([]);
    expect(route.acceptedRisks).toEqual([
      { code: 'RAMPART_POSSIBLE_BOLA', reason: 'Catalogue entries are readable by every customer' },
    ]);
  });

  it('describes the protections of each route', () => {
    const routes = app.get(SecurityInventory).routes();
    expect(byId(routes, 'GET /safe/items/:id')).toMatchObject({
      public: false,
      authentication: ['jwt'],
      ownership: { resource: 'item', param: 'id' },
      rateLimits: [{ policy: 'default', limit: 1000, windowSec: 60, by: 'ip' }],
      controller: 'SafeController',
      handler: 'item',
    });
    expect(byId(routes, 'POST /safe/contact')).toMatchObject({
      public: true,
      authentication: [],
      bodyDto: 'ContactDto',
      rateLimits: [{ policy: 'default', limit: 5, windowSec: 60, by: 'ip' }],
    });
    expect(byId(routes, 'POST /risky/items').bodyDto).toBeNull();
    expect(byId(routes, 'GET /safe/internal/stats').roles).toEqual(['admin']);
  });

  it('answers requests the way the inventory says', async () => {
    for (const route of app.get(SecurityInventory).routes()) {
      const res = await fetch(`${url}${route.path.replace(/:id/g, 'x1')}`, {
        method: route.method,
        headers: { 'content-type': 'application/json' },
        body: route.method === 'GET' ? undefined : JSON.stringify({ message: 'hi' }),
      });
      expect([route.id, res.status === 401]).toEqual([route.id, !route.public]);
    }
  });

  it('prints the table after boot, one line per route, and each open warning', () => {
    const table = logger.lines.find((l) => l.message.startsWith('Routes ('));
    expect(table).toBeDefined();
    const lines = table!.message.split('\n');
    const routes = app.get(SecurityInventory).routes();
    expect(lines).toHaveLength(routes.length + 2);
    expect(lines[1]).toMatch(/^METHOD\s+PATH\s+ACCESS\s+RULES\s+LIMITS\/FLAGS\s+RISKS$/);
    expect(lines.find((l) => l.includes('/risky/items/:id'))).toMatch(/!POSSIBLE_BOLA$/);
    expect(lines.find((l) => l.includes('/accepted/catalogue/:id'))).toMatch(/~POSSIBLE_BOLA$/);
    expect(lines.find((l) => l.includes('POST    /safe/contact'))).toMatch(/rl:default=5\/60s body:ContactDto\s+ok$/);
    expect(lines.find((l) => l.includes('/safe/items/:id'))).toMatch(/jwt\s+owns:item\(id\)\s+rl:module\s+ok$/);
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toHaveLength(PLANTED_WARNINGS.length);
    expect(warnings).toContainEqual(
      expect.stringMatching(/^RAMPART_GET_MUTATES GET \/risky\/cache \(RiskyController\.purgeCache\): /),
    );
  });

  it('writes the inventory JSON file', () => {
    const written = JSON.parse(readFileSync(file, 'utf8')) as InventoryDocument;
    expect(written.format).toBe('nestjs-rampart.inventory');
    expect(written.version).toBe(1);
    expect(written).toEqual(JSON.parse(JSON.stringify(app.get(SecurityInventory).toJSON())));
  });
});

describe.each(ADAPTERS)('route inventory: failOn (%s)', (adapter) => {
  it("refuses to boot with failOn: 'warning' and open warnings, naming them", async () => {
    const boot = bootApp(
      adapter,
      riskyAppModule([RiskyController, SafeController], { inventory: { failOn: 'warning' } }),
    );
    await expect(boot).rejects.toThrow(SecurityConfigError);
    await expect(boot).rejects.toThrow(
      /^SecurityModule: inventory\.failOn is "warning" and 5 route\(s\) have unaccepted warnings \(GET \/risky\/items\/:id RAMPART_POSSIBLE_BOLA; .*GET \/risky\/cache RAMPART_GET_MUTATES\)\. Fix them, or .*@AcceptRisk/,
    );
  });

  it('writes the inventory file before refusing, so CI keeps the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-inventory-'));
    const file = join(dir, 'inventory.json');
    try {
      await expect(
        bootApp(adapter, riskyAppModule([RiskyController], { inventory: { failOn: 'warning', file } })),
      ).rejects.toThrow(/inventory\.failOn/);
      const written = JSON.parse(readFileSync(file, 'utf8')) as InventoryDocument;
      expect(written.routes.flatMap((r) => r.warnings.map((w) => w.code)).sort()).toEqual(
        PLANTED_WARNINGS.map(([, code]) => code).sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to boot when the file cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-inventory-'));
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, 'x');
    try {
      await expect(
        bootApp(adapter, riskyAppModule([SafeController], { inventory: { file: join(blocker, 'inventory.json') } })),
      ).rejects.toThrow(
        /^SecurityModule: inventory\.file could not be written to .*not-a-directory\/inventory\.json \((ENOTDIR|EEXIST)\)\. Point it at a writable path/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('boots when every warning is accepted', async () => {
    const { app } = await bootApp(
      adapter,
      riskyAppModule([SafeController, AcceptedController], { inventory: { failOn: 'warning' } }),
    );
    try {
      expect(
        app
          .get(SecurityInventory)
          .routes()
          .flatMap((r) => r.warnings),
      ).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('does not fail on warnings by default', async () => {
    const { app } = await bootApp(adapter, riskyAppModule([RiskyController]));
    try {
      expect(
        app
          .get(SecurityInventory)
          .routes()
          .flatMap((r) => r.warnings),
      ).toHaveLength(5);
    } finally {
      await app.close();
    }
  });
});
