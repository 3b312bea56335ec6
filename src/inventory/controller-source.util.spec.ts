import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findControllerSource } from './controller-source.util';

describe('findControllerSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-source-'));
  // Node's own require (not Jest's registry): its cache is the one the library reads in an app.
  const nodeRequire = createRequire(join(dir, 'index.js'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function load(relative: string, code: string, map?: object): unknown {
    const file = join(dir, relative);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, code);
    if (map) writeFileSync(`${file}.map`, JSON.stringify(map));
    return nodeRequire(file);
  }

  it('finds the module exporting the class, relative to cwd', () => {
    const mod = load('app/users.controller.js', 'exports.UsersController = class UsersController {};') as {
      UsersController: unknown;
    };
    expect(findControllerSource(mod.UsersController, dir, nodeRequire.cache)).toBe('app/users.controller.js');
  });

  it('maps compiled output back to its TypeScript source through the source map', () => {
    const mod = load('dist/orders/orders.controller.js', 'exports.OrdersController = class OrdersController {};', {
      version: 3,
      sources: ['../../src/orders/orders.controller.ts'],
      mappings: '',
    }) as { OrdersController: unknown };
    expect(findControllerSource(mod.OrdersController, dir, nodeRequire.cache)).toBe('src/orders/orders.controller.ts');
  });

  it('returns null for an unexported class, a missing cache, or exports that throw', () => {
    load(
      'app/throws.js',
      "Object.defineProperty(exports, 'boom', { enumerable: true, get() { throw new Error('x'); } });",
    );
    expect(findControllerSource(class Hidden {}, dir, nodeRequire.cache)).toBeNull();
    expect(findControllerSource(class Hidden {}, dir, undefined)).toBeNull();
    expect(findControllerSource('not a class', dir, nodeRequire.cache)).toBeNull();
    const later = load('app/later.controller.js', 'exports.LaterController = class LaterController {};') as {
      LaterController: unknown;
    };
    expect(findControllerSource(later.LaterController, dir, nodeRequire.cache)).toBe('app/later.controller.js');
  });
});
