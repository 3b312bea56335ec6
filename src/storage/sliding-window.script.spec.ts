import { createTestRedisStorage } from '../../test/utils/redis';
import { MemorySecurityStorage } from './memory/memory.storage';
import { SlidingWindowMemoryStorage } from './memory/sliding-window-memory.storage';
import type { RedisSecurityStorage } from './redis/redis.storage';
import { EDGE_THEN_WINDOW, SLIDING_WINDOW, SW, SW_FIELDS } from './sliding-window.script';

/** ARGV for policies [limit, windowMs, blockMs, burstThreshold] with optional escalation. */
function argv(policies: number[][], multipliers: number[] = [], decayMs = 0, cost = 1): string[] {
  return [cost, multipliers.length, decayMs, ...multipliers, ...policies.flat()].map(String);
}

function field(reply: number[], policy: number, f: number): number {
  return reply[1 + policy * SW_FIELDS + f];
}

/** A memory home of sliding windows: the string twin on MemorySecurityStorage, or the numeric store. */
interface WindowStore {
  run(keys: string[], args: string[]): number[];
  has(key: string): Promise<boolean>;
}

const memoryStores: Array<[string, (now: () => number) => WindowStore]> = [
  [
    'string twin on MemorySecurityStorage',
    (now) => {
      const store = new MemorySecurityStorage({ now });
      return {
        run: (keys, args) => store.runSync(SLIDING_WINDOW, keys, args),
        has: async (key) => (await store.get(key)) !== null,
      };
    },
  ],
  [
    'numeric SlidingWindowMemoryStorage',
    (now) => {
      const store = new SlidingWindowMemoryStorage(100_000, now);
      return {
        run: (keys, args) => store.decide(keys, Float64Array.from(args, Number)),
        has: async (key) => store.has(key),
      };
    },
  ],
];

describe.each(memoryStores)('SLIDING_WINDOW decision (%s, controlled clock)', (_name, create) => {
  let now: number;
  let store: WindowStore;
  const run = (keys: string[], args: string[]) => store.run(keys, args);

  beforeEach(() => {
    now = 1_000_000_040_000; // 20 s into a 60 s window
    store = create(() => now);
  });

  it('admits exactly `limit` hits in a window and reports remaining and reset', () => {
    const args = argv([[3, 60_000, 0, 0]]);
    const replies = [1, 2, 3, 4].map(() => run(['k'], args));
    expect(replies.map((r) => r[0])).toEqual([1, 1, 1, 0]);
    expect(replies.map((r) => field(r, 0, SW.REMAINING))).toEqual([2, 1, 0, 0]);
    expect(field(replies[0], 0, SW.RESET)).toBe(40_000);
    expect(field(replies[3], 0, SW.REJECTED)).toBe(1);
    expect(field(replies[3], 0, SW.HITS)).toBe(4);
  });

  it('weights the previous window by its remaining overlap (sliding estimate)', () => {
    const args = argv([[10, 60_000, 0, 0]]);
    for (let i = 0; i < 10; i++) run(['k'], args);
    now += 55_000; // 15 s into the next window: estimate = 10 × 45/60 = 7.5
    const admitted = [];
    for (let i = 0; i < 5; i++) admitted.push(run(['k'], args)[0]);
    expect(admitted).toEqual([1, 1, 0, 0, 0]);
    now += 120_000; // two windows later everything is forgotten
    expect(field(run(['k'], args), 0, SW.REMAINING)).toBe(9);
  });

  it('says when to retry without a penalty box (blockMs 0)', () => {
    const args = argv([[2, 60_000, 0, 0]]);
    run(['k'], args);
    run(['k'], args);
    const rejected = run(['k'], args);
    // cur 2 > need 1: wait for the next window (40 s) then until 2 × (60-e)/60 ≤ 1 → e ≥ 30 s
    expect(field(rejected, 0, SW.RETRY)).toBe(70_000);
    now += 70_000;
    expect(run(['k'], args)[0]).toBe(1);
  });

  it('blocks for blockMs and does not extend the block on further hits', () => {
    const args = argv([[1, 1_000, 5_000, 0]]);
    expect(run(['k'], args)[0]).toBe(1);
    const first = run(['k'], args);
    expect(field(first, 0, SW.RETRY)).toBe(5_000);
    now += 3_000;
    const during = run(['k'], args);
    expect(during[0]).toBe(0);
    expect(field(during, 0, SW.RETRY)).toBe(2_000);
    now += 2_000;
    expect(run(['k'], args)[0]).toBe(1);
  });

  it('escalates blocks per strike and forgets strikes after the decay', () => {
    const args = argv([[1, 1_000, 0, 0]], [1, 5, 30], 10_000);
    const violate = () => {
      run(['k'], args);
      return run(['k'], args);
    };
    expect(field(violate(), 0, SW.RETRY)).toBe(1_000);
    now += 1_000;
    const second = violate();
    expect(field(second, 0, SW.STRIKES)).toBe(2);
    expect(field(second, 0, SW.RETRY)).toBe(5_000);
    now += 5_000;
    expect(field(violate(), 0, SW.RETRY)).toBe(30_000);
    now += 30_000 + 10_001;
    const afterDecay = violate();
    expect(field(afterDecay, 0, SW.STRIKES)).toBe(1);
    expect(field(afterDecay, 0, SW.RETRY)).toBe(1_000);
  });

  it('escalates even when the client keeps hammering during its block (one strike per block)', () => {
    const args = argv([[1, 1_000, 1_500, 0]], [1, 5, 30], 60_000);
    run(['k'], args);
    expect(field(run(['k'], args), 0, SW.RETRY)).toBe(1_500); // strike 1: 1.5 s, into the next window
    for (let t = 0; t < 5; t++) {
      now += 250; // hits all through the block, two of them in the next window
      expect(run(['k'], args)[0]).toBe(0);
    }
    now += 250; // the block is over and the client is still over the limit
    const second = run(['k'], args);
    expect(field(second, 0, SW.STRIKES)).toBe(2);
    expect(field(second, 0, SW.RETRY)).toBe(7_500);
    now += 7_500;
    run(['k'], args);
    expect(field(run(['k'], args), 0, SW.RETRY)).toBe(45_000);
  });

  it('reports remaining 0 while blocked, even once the window estimate has room again', () => {
    const args = argv([[5, 1_000, 10_000, 0]]);
    for (let i = 0; i < 6; i++) run(['k'], args); // 5 admitted, the 6th blocks for 10 s
    now += 3_000; // two windows later the estimate is 0, but the block holds
    const during = run(['k'], args);
    expect(during[0]).toBe(0);
    expect(field(during, 0, SW.REMAINING)).toBe(0);
    expect(field(during, 0, SW.RESET)).toBe(7_000);
  });

  it("starts each policy's rejection episode on its own rejections, not on hits another policy rejected", () => {
    const args = argv([
      [1, 1_000, 0, 0],
      [3, 3_600_000, 0, 0],
    ]);
    const keys = ['second', 'hour'];
    expect(run(keys, args)[0]).toBe(1);
    const bySecond = run(keys, args);
    expect([field(bySecond, 0, SW.FIRST), field(bySecond, 1, SW.REJECTED)]).toEqual([1, 0]);
    now += 2_000;
    expect(run(keys, args)[0]).toBe(1);
    now += 2_000;
    expect(run(keys, args)[0]).toBe(1);
    now += 2_000;
    const byHour = run(keys, args);
    expect([field(byHour, 0, SW.REJECTED), field(byHour, 1, SW.REJECTED), field(byHour, 1, SW.FIRST)]).toEqual([
      0, 1, 1,
    ]);
    expect(field(byHour, 1, SW.STRIKES)).toBe(1);
  });

  it('admits a request only when every policy admits it, and counts it in all of them', () => {
    const args = argv([
      [5, 60_000, 0, 0],
      [2, 1_000, 0, 0],
    ]);
    const keys = ['a', 'b'];
    expect(run(keys, args)[0]).toBe(1);
    expect(run(keys, args)[0]).toBe(1);
    const third = run(keys, args);
    expect(third[0]).toBe(0);
    expect(field(third, 0, SW.REJECTED)).toBe(0);
    expect(field(third, 1, SW.REJECTED)).toBe(1);
    expect(field(third, 0, SW.REMAINING)).toBe(3); // the rejected hit was not counted
  });

  it('flags a burst once when attempts reach the threshold, and the first rejection once', () => {
    const args = argv([[2, 60_000, 0, 6]]);
    const replies = Array.from({ length: 10 }, () => run(['k'], args));
    expect(replies.map((r) => field(r, 0, SW.BURST))).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(replies.map((r) => field(r, 0, SW.FIRST))).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('lets idle keys expire after two windows', async () => {
    run(['k'], argv([[2, 1_000, 0, 0]]));
    expect(await store.has('k')).toBe(true);
    now += 1_999;
    expect(await store.has('k')).toBe(true);
    now += 1;
    expect(await store.has('k')).toBe(false);
  });
});

describe('SLIDING_WINDOW script (Redis twin)', () => {
  let redis: RedisSecurityStorage;
  let memory: MemorySecurityStorage;
  let numeric: SlidingWindowMemoryStorage;
  beforeAll(async () => {
    redis = await createTestRedisStorage('sliding-window');
  });
  afterAll(() => redis.close());
  beforeEach(() => {
    memory = new MemorySecurityStorage();
    numeric = new SlidingWindowMemoryStorage();
  });

  it.each([
    ['one policy', [[3, 3_600_000, 0, 0]], []],
    [
      'two policies, one tight',
      [
        [5, 3_600_000, 0, 0],
        [2, 3_600_000, 0, 4],
      ],
      [],
    ],
    ['block and escalation', [[2, 3_600_000, 30_000, 0]], [1, 5]],
    [
      'no penalty box, one policy rejecting',
      [
        [2, 3_600_000, 0, 3],
        [4, 3_600_000, 0, 0],
      ],
      [],
    ],
  ])('gives the same decisions as both memory implementations: %s', async (_name, policies, multipliers) => {
    const keys = policies.map((_, i) => `{sw:${_name}}:${i}`);
    const args = argv(policies as number[][], multipliers as number[], 3_600_000);
    let slowest = 0;
    for (let i = 0; i < 8; i++) {
      const before = Date.now();
      const a = await redis.run(SLIDING_WINDOW, keys, args);
      const b = memory.runSync(SLIDING_WINDOW, keys, args);
      // Both read the same system clock (Redis TIME, Date.now) somewhere inside this interval.
      slowest = Math.max(slowest, Date.now() - before);
      const c = numeric.decide(keys, Float64Array.from(args, Number));
      const strip = (r: number[]) =>
        r.filter((_, j) => j === 0 || ![SW.RESET, SW.RETRY].includes(((j - 1) % SW_FIELDS) as 2 | 3));
      expect(strip(a)).toEqual(strip(b));
      expect(strip(c)).toEqual(strip(b));
      // Times are read at two moments, so they differ by the gap between the reads, measured here
      // instead of guessed: a retry counted from an earlier block start carries that call's gap too
      // (hence twice the slowest), plus 1 ms of rounding per clock. Hour-long windows keep both in one window.
      for (let p = 0; p < policies.length; p++) {
        expect(Math.abs(field(a, p, SW.RETRY) - field(b, p, SW.RETRY))).toBeLessThanOrEqual(2 * slowest + 2);
      }
    }
  });

  it('EDGE_THEN_WINDOW gives the same decisions as SLIDING_WINDOW on the edge key, then on the others', async () => {
    // The edge (limit 6) counts what the route policies (limit 2 and 4) refuse, and once it refuses,
    // the route keys are not touched: as two SLIDING_WINDOW calls in sequence.
    const edge = [6, 3_600_000, 0, 0];
    const route = [
      [2, 3_600_000, 0, 0],
      [4, 3_600_000, 0, 0],
    ];
    const combined = ['{sw:ew}:e', '{sw:ew}:a', '{sw:ew}:b'];
    const apart = ['{sw:ew2}:e', '{sw:ew2}:a', '{sw:ew2}:b'];
    // Times left out (two clocks); the route part is a reply of its own, after the edge's 9 numbers.
    const times = (r: number[]) =>
      r.filter((_, j) => j === 0 || ![SW.RESET, SW.RETRY].includes(((j - 1) % SW_FIELDS) as 2 | 3));
    const strip = (r: number[]) => [...times(r.slice(0, 1 + SW_FIELDS)), ...times(r.slice(1 + SW_FIELDS))];
    const admitted: number[][] = [];
    for (let i = 0; i < 8; i++) {
      const a = await redis.run(EDGE_THEN_WINDOW, combined, argv([edge, ...route]));
      const b = memory.runSync(EDGE_THEN_WINDOW, combined, argv([edge, ...route]));
      const first = memory.runSync(SLIDING_WINDOW, apart.slice(0, 1), argv([edge]));
      const c = first[0] === 0 ? first : first.concat(memory.runSync(SLIDING_WINDOW, apart.slice(1), argv(route)));
      expect(strip(a)).toEqual(strip(b));
      expect(strip(b)).toEqual(strip(c));
      admitted.push([a[0], a[0] === 1 ? a[1 + SW_FIELDS] : -1]);
    }
    expect(admitted).toEqual([
      [1, 1],
      [1, 1],
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
      [0, -1],
      [0, -1],
    ]);
  });

  it('EDGE_THEN_WINDOW with blocks and escalation: the same as SLIDING_WINDOW on the edge key, then on the others', async () => {
    // A route policy that blocks and escalates (2 per hour, block 1 s × [1, 4]), a burst threshold,
    // an edge (5 per hour) that blocks too: still the two calls in sequence.
    const edge = [5, 3_600_000, 1_000, 0];
    const route = [
      [2, 3_600_000, 1_000, 3],
      [9, 3_600_000, 0, 0],
    ];
    const args = (policies: number[][]) => argv(policies, [1, 4], 60_000);
    const combined = ['{sw:eb}:e', '{sw:eb}:a', '{sw:eb}:b'];
    const apart = ['{sw:eb2}:e', '{sw:eb2}:a', '{sw:eb2}:b'];
    const times = (r: number[]) =>
      r.filter((_, j) => j === 0 || ![SW.RESET, SW.RETRY].includes(((j - 1) % SW_FIELDS) as 2 | 3));
    const strip = (r: number[]) => [...times(r.slice(0, 1 + SW_FIELDS)), ...times(r.slice(1 + SW_FIELDS))];
    for (let i = 0; i < 8; i++) {
      const a = await redis.run(EDGE_THEN_WINDOW, combined, args([edge, ...route]));
      const first = await redis.run(SLIDING_WINDOW, apart.slice(0, 1), args([edge]));
      const b = first[0] === 0 ? first : first.concat(await redis.run(SLIDING_WINDOW, apart.slice(1), args(route)));
      expect(strip(a)).toEqual(strip(b));
    }
  });

  it('expires idle keys on Redis too', async () => {
    // A minute-long window: the key must still be there when we look, however slow the machine.
    await redis.run(SLIDING_WINDOW, ['{sw:ttl}:x'], argv([[2, 60_000, 0, 0]]));
    const client = redis.getClient() as { pttl(k: string): Promise<number>; keys(p: string): Promise<string[]> };
    const [full] = await client.keys('*{sw:ttl}:x');
    const ttl = await client.pttl(full);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120_000); // two windows: the previous window's count still weighs in
  });
});
