import type { MemoryScriptOps, StorageScript } from './security-storage.interface';

/**
 * The decision of {@link SLIDING_WINDOW} as a Lua function, shared by the scripts: `KEYS[kb + 1..kb + n]`
 * with their four parameters from `ARGV[ab + 1]` on (`cost, nMultipliers, decayMs, ...multipliers`
 * stay at the head of ARGV). Returns the reply `[admitted, ...perKey]`.
 */
const WINDOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function window(now, kb, n, ab)
  local cost = tonumber(ARGV[1])
  local nm = tonumber(ARGV[2])
  local decay = tonumber(ARGV[3])
  -- One flat array, 14 slots per key: limit win blk burst ws cur prev bu sk su rej e est rejected
  local S = {}
  local admitted = 1
  for i = 1, n do
    local o = ab + (i - 1) * 4
    local b = (i - 1) * 14
    local limit, win = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2])
    local ws, cur, prev, bu, sk, su, rej = 0, 0, 0, 0, 0, 0, 0
    local v = redis.call('GET', KEYS[kb + i])
    if v then
      local k = b + 4
      for x in string.gmatch(v, '%d+') do
        k = k + 1
        S[k] = tonumber(x)
      end
      ws, cur, prev, bu, sk, su, rej = S[b + 5] * win, S[b + 6], S[b + 7], S[b + 8], S[b + 9], S[b + 10], S[b + 11]
      if bu > 0 then bu = ws + bu end
      if su > 0 then su = ws + su end
    end
    local cws = now - (now % win)
    if ws ~= cws then
      if ws == cws - win then prev = cur else prev = 0 end
      cur = 0
      rej = 0
      ws = cws
    end
    if su <= now then sk = 0 end
    local e = now - cws
    local est = prev * (win - e) / win + cur
    local rejected = 0
    if bu > now or est + cost > limit then
      rejected = 1
      admitted = 0
    end
    S[b + 1], S[b + 2], S[b + 3], S[b + 4] = limit, win, tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
    S[b + 5], S[b + 6], S[b + 7], S[b + 8], S[b + 9], S[b + 10], S[b + 11] = ws, cur, prev, bu, sk, su, rej
    S[b + 12], S[b + 13], S[b + 14] = e, est, rejected
  end
  local out = { admitted }
  for i = 1, n do
    local b = (i - 1) * 14
    local limit, win, blk, burstAt = S[b + 1], S[b + 2], S[b + 3], S[b + 4]
    local ws, cur, prev, bu, sk, su, rej = S[b + 5], S[b + 6], S[b + 7], S[b + 8], S[b + 9], S[b + 10], S[b + 11]
    local e, est, rejected = S[b + 12], S[b + 13], S[b + 14]
    local retry = 0
    local burst = 0
    local reset = ws + win - now
    local first = 0
    if admitted == 1 then
      cur = cur + cost
    elseif rejected == 1 then
      local before = cur + rej
      rej = rej + cost
      if burstAt > 0 and before < burstAt and cur + rej >= burstAt then burst = 1 end
      if bu > now then
        retry = bu - now
      else
        -- A new block (or, without one, the first rejection of the window) is one strike.
        if nm > 0 or blk > 0 or rej == cost then
          sk = sk + 1
          first = 1
        end
        local dur = blk
        if nm > 0 then
          local bb = blk
          if bb <= 0 then bb = win end
          local k = sk
          if k < 1 then k = 1 end
          if k > nm then k = nm end
          dur = math.floor(bb * tonumber(ARGV[3 + k]))
        end
        if dur > 0 then
          bu = now + dur
          retry = dur
        else
          local need = limit - cost
          if need < 0 then
            retry = win
          elseif cur <= need then
            retry = math.ceil(win - e - (need - cur) * win / prev)
          else
            retry = (win - e) + math.ceil(win - need * win / cur)
          end
        end
        if first == 1 then su = math.max(bu, now) + decay end
      end
      if retry < 1 then retry = 1 end
      reset = retry
    end
    local remaining = limit - est
    if admitted == 1 then remaining = remaining - cost end
    remaining = math.floor(remaining)
    if remaining < 0 or rejected == 1 then remaining = 0 end
    local keep = ws + 2 * win
    if bu > keep then keep = bu end
    if sk > 0 and su > keep then keep = su end
    local bur, sur = 0, 0
    if bu > ws then bur = bu - ws end
    if su > ws then sur = su - ws end
    redis.call('SET', KEYS[kb + i], string.format('%d,%d,%d,%d,%d,%d,%d', ws / win, cur, prev, bur, sk, sur, rej), 'PX', keep - now)
    local o = 1 + (i - 1) * 8
    out[o + 1], out[o + 2], out[o + 3], out[o + 4] = math.ceil(est + cost), remaining, reset, retry
    out[o + 5], out[o + 6], out[o + 7], out[o + 8] = rejected, sk, burst, first
  end
  return out
end
`;

/**
 * Sliding-window counter over every policy of one request, in ONE atomic script (one Redis round
 * trip however many policies apply).
 *
 * Algorithm: windows are aligned on the clock (`floor(now / w) * w`); each key keeps the count of
 * the current and of the previous window, and the rate is estimated as
 * `prev * (w - elapsed) / w + cur` (Cloudflare's sliding-window counter). O(1) time and memory per
 * key, no timer, the key expires by itself when idle (after two windows, or when its block and
 * escalation memory end).
 *
 * Error bound: at most `limit` requests are admitted per aligned window. The estimate assumes the
 * previous window's hits were evenly spread; in the adversarial case (all of them at its very end)
 * a rolling window of length `w` can see up to `2 × limit` (the same bound as a fixed window, reached
 * far more rarely: Cloudflare measured 0.003 % wrong decisions over 400 M requests).
 *
 * A request is admitted only when EVERY policy admits it, and then it counts in all of them;
 * a rejected request counts in none (so hammering through a block does not prolong it). When a
 * policy rejects and the client is not already blocked, a block is imposed: `blockMs` (0 = no
 * penalty box, the client may retry as soon as the estimate allows), or, with escalation, the base
 * block (`blockMs`, or the window when 0) times the multiplier for the client's strike count (one
 * strike per block imposed, however long the client kept hammering during the previous one;
 * strikes are forgotten `decayMs` after the last block ends). Hits during a block neither count
 * nor extend it. Remaining is reported as 0 by a policy that rejects (blocked or over the limit).
 *
 * Stored value per key: `windowIndex,cur,prev,blockedUntil,strikes,strikesUntil,rejected`, the two
 * times in ms relative to the window start (0 = none), so every field is a small integer;
 * `rejected` counts the hits THIS policy rejected in the window (for burst detection).
 *
 * ARGV: `cost, nMultipliers, decayMs, ...multipliers`, then per key (in KEYS order)
 * `limit, windowMs, blockMs, burstThreshold` (0 = no burst detection).
 *
 * Reply: `[admitted, ...perKey]` with 8 integers per key:
 * `totalHits, remaining, resetMs, retryMs, rejectedByThis, strikes, burstDetected, firstRejection`
 * (`firstRejection` is 1 when this hit started a rejection episode: it imposed a block, or, with no
 * penalty box, it is the policy's first rejection of the window; callers log once per episode).
 *
 * @internal
 */
export const SLIDING_WINDOW: StorageScript<number[]> = {
  name: 'sliding-window',
  lua: `${WINDOW_LUA}
return window(now, 0, #KEYS, 3 + tonumber(ARGV[2]))`,
  memory: slidingWindowMemory,
};

/**
 * The edge IP limit and a guard's policies in ONE atomic script (one round trip where two
 * {@link SLIDING_WINDOW} calls were needed), with the same outcome as the two in sequence:
 * `KEYS[1]` (the edge key) is decided alone first and counts every request it admits; only when it
 * admits are the other keys decided, together, as {@link SLIDING_WINDOW} decides them.
 *
 * ARGV: the edge set's ARGV (`cost, nMultipliers, decayMs, ...multipliers`, then the edge key's
 * `limit, windowMs, blockMs, burstThreshold`), then four per other key. Both decisions share the
 * head (cost and escalation are the module's).
 *
 * Reply: the edge's `[admitted, ...8 fields]`; when it admitted, followed by the other keys'
 * `[admitted, ...perKey]`.
 *
 * @internal
 */
export const EDGE_THEN_WINDOW: StorageScript<number[]> = {
  name: 'edge-then-window',
  lua: `${WINDOW_LUA}
local base = 3 + tonumber(ARGV[2])
local out = window(now, 0, 1, base)
if out[1] == 0 then return out end
local rest = window(now, 1, #KEYS - 1, base + 4)
for i = 1, #rest do out[9 + i] = rest[i] end
return out`,
  memory: edgeThenWindowMemory,
};

/** The memory twin of {@link EDGE_THEN_WINDOW}. */
function edgeThenWindowMemory(ops: MemoryScriptOps, keys: string[], args: string[]): number[] {
  const head = 3 + Number(args[1]);
  const edge = slidingWindowMemory(ops, keys.slice(0, 1), args.slice(0, head + 4));
  if (edge[0] === 0) return edge;
  return edge.concat(slidingWindowMemory(ops, keys.slice(1), args.slice(0, head).concat(args.slice(head + 4))));
}

/** Fields per key in the scratch buffer. */
const F = 16;
const LIMIT = 0,
  WIN = 1,
  BLK = 2,
  BURST = 3,
  WS = 4,
  CUR = 5,
  PREV = 6,
  BU = 7,
  SK = 8,
  SU = 9,
  REJ = 10,
  E = 11,
  EST = 12,
  REJECTED = 13;
/**
 * Scratch state, reused: decisions run synchronously, so no two calls ever share it.
 * Doubles in a Float64Array avoid boxing the millisecond timestamps (they exceed small integers).
 */
let scratch = new Float64Array(F * 4);
/** The 7 stored fields of one key, as numbers (see {@link SLIDING_WINDOW}). */
const stored = new Float64Array(7);
/** ARGV as numbers, for the string twin (grown when needed). */
let numericArgs = new Float64Array(16);

/**
 * Where a decision reads and writes each key's 7 stored fields
 * (`windowIndex,cur,prev,blockedUntil,strikes,strikesUntil,rejected`).
 *
 * @internal
 */
export interface SlidingWindowIo {
  /** Fills `into` with key `i`'s fields; false when the key is absent (or expired). */
  load(i: number, into: Float64Array): boolean;
  /** Stores `from` as key `i`'s fields, expiring in `ttlMs`. */
  save(i: number, from: Float64Array, ttlMs: number): void;
}

/** Parses `a,b,c,...` (non-negative integers) into `stored` without allocating. */
function parseState(v: string): void {
  let field = 0;
  let acc = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 44) {
      stored[field++] = acc;
      acc = 0;
    } else acc = acc * 10 + (c - 48);
  }
  stored[field] = acc;
}

const fields: number[] = [0, 0, 0, 0, 0, 0, 0];
let twinOps: MemoryScriptOps;
let twinKeys: string[];
/** The string form of the stored fields, for {@link MemorySecurityStorage} (the Redis layout). */
const stringIo: SlidingWindowIo = {
  load(i, into) {
    const v = twinOps.get(twinKeys[i]);
    if (v === null) return false;
    parseState(v);
    if (into !== stored) into.set(stored);
    return true;
  },
  save(i, from, ttlMs) {
    for (let f = 0; f < 7; f++) fields[f] = from[f];
    // Array#join builds a flat string; a template literal would build a rope that the next read
    // has to flatten (measurably slower on the hot path).
    twinOps.set(twinKeys[i], fields.join(','), ttlMs);
  },
};

/** The memory twin of the Lua above, on {@link MemorySecurityStorage}: string state, string ARGV. */
function slidingWindowMemory(ops: MemoryScriptOps, keys: string[], args: string[]): number[] {
  if (numericArgs.length < args.length) numericArgs = new Float64Array(args.length * 2);
  for (let i = 0; i < args.length; i++) numericArgs[i] = Number(args[i]);
  twinOps = ops;
  twinKeys = keys;
  return decideSlidingWindow(numericArgs, keys.length, ops.now(), stringIo);
}

/**
 * The decision of {@link SLIDING_WINDOW} on numbers: `p` is ARGV as numbers, `n` the number of
 * keys, `io` where their state lives. Same arithmetic as the Lua, in the same order, so replies are
 * identical (the shared tests check it against Redis).
 *
 * @internal
 */
export function decideSlidingWindow(p: ArrayLike<number>, n: number, now: number, io: SlidingWindowIo): number[] {
  const cost = p[0];
  const nm = p[1];
  const decay = p[2];
  const base = 3 + nm;
  if (scratch.length < n * F) scratch = new Float64Array(n * F);
  const S = scratch;
  let admitted = 1;
  for (let i = 0; i < n; i++) {
    const o = base + i * 4;
    const b = i * F;
    const limit = p[o];
    const win = p[o + 1];
    let ws = 0;
    let cur = 0;
    let prev = 0;
    let bu = 0;
    let sk = 0;
    let su = 0;
    let rej = 0;
    if (io.load(i, stored)) {
      ws = stored[0] * win;
      cur = stored[1];
      prev = stored[2];
      bu = stored[3] > 0 ? ws + stored[3] : 0;
      sk = stored[4];
      su = stored[5] > 0 ? ws + stored[5] : 0;
      rej = stored[6];
    }
    const cws = now - (now % win);
    if (ws !== cws) {
      prev = ws === cws - win ? cur : 0;
      cur = 0;
      rej = 0;
      ws = cws;
    }
    if (su <= now) sk = 0;
    const e = now - cws;
    const est = (prev * (win - e)) / win + cur;
    let rejected = 0;
    if (bu > now || est + cost > limit) {
      rejected = 1;
      admitted = 0;
    }
    S[b + LIMIT] = limit;
    S[b + WIN] = win;
    S[b + BLK] = p[o + 2];
    S[b + BURST] = p[o + 3];
    S[b + WS] = ws;
    S[b + CUR] = cur;
    S[b + PREV] = prev;
    S[b + BU] = bu;
    S[b + SK] = sk;
    S[b + SU] = su;
    S[b + REJ] = rej;
    S[b + E] = e;
    S[b + EST] = est;
    S[b + REJECTED] = rejected;
  }
  const out = new Array<number>(1 + n * SW_FIELDS);
  out[0] = admitted;
  for (let i = 0; i < n; i++) {
    const b = i * F;
    let retry = 0;
    let burst = 0;
    let first = 0;
    let reset = S[b + WS] + S[b + WIN] - now;
    if (admitted === 1) {
      S[b + CUR] += cost;
    } else if (S[b + REJECTED] === 1) {
      const before = S[b + CUR] + S[b + REJ];
      S[b + REJ] += cost;
      if (S[b + BURST] > 0 && before < S[b + BURST] && S[b + CUR] + S[b + REJ] >= S[b + BURST]) burst = 1;
      if (S[b + BU] > now) retry = S[b + BU] - now;
      else {
        // A new block (or, without one, the first rejection of the window) is one strike.
        first = nm > 0 || S[b + BLK] > 0 || S[b + REJ] === cost ? 1 : 0;
        retry = imposeBlock(S, b, now, cost, nm, decay, p, first === 1);
      }
      if (retry < 1) retry = 1;
      reset = retry;
    }
    const est = S[b + EST];
    const hits = Math.ceil(est + cost);
    let remaining = Math.floor(S[b + LIMIT] - est - (admitted === 1 ? cost : 0));
    if (remaining < 0 || S[b + REJECTED] === 1) remaining = 0;
    const ws = S[b + WS];
    const bu = S[b + BU];
    const sk = S[b + SK];
    const su = S[b + SU];
    let keep = ws + 2 * S[b + WIN];
    if (bu > keep) keep = bu;
    if (sk > 0 && su > keep) keep = su;
    // Times are stored relative to the window (small integers: cheap to format and parse).
    stored[0] = ws / S[b + WIN];
    stored[1] = S[b + CUR];
    stored[2] = S[b + PREV];
    stored[3] = bu > ws ? bu - ws : 0;
    stored[4] = sk;
    stored[5] = su > ws ? su - ws : 0;
    stored[6] = S[b + REJ];
    io.save(i, stored, keep - now);
    const o = 1 + i * SW_FIELDS;
    out[o] = hits;
    out[o + 1] = remaining;
    out[o + 2] = reset;
    out[o + 3] = retry;
    out[o + 4] = S[b + REJECTED];
    out[o + 5] = sk;
    out[o + 6] = burst;
    out[o + 7] = first;
  }
  return out;
}

/** A policy just rejected a client that was not blocked: strike, block (maybe escalated), retry time. */
function imposeBlock(
  S: Float64Array,
  b: number,
  now: number,
  cost: number,
  nm: number,
  decay: number,
  p: ArrayLike<number>,
  strike: boolean,
): number {
  if (strike) S[b + SK] += 1;
  let dur = S[b + BLK];
  const win = S[b + WIN];
  if (nm > 0) {
    const base = S[b + BLK] <= 0 ? win : S[b + BLK];
    const k = Math.min(Math.max(S[b + SK], 1), nm);
    dur = Math.floor(base * p[2 + k]);
  }
  let retry: number;
  if (dur > 0) {
    S[b + BU] = now + dur;
    retry = dur;
  } else {
    const need = S[b + LIMIT] - cost;
    const cur = S[b + CUR];
    if (need < 0) retry = win;
    else if (cur <= need) retry = Math.ceil(win - S[b + E] - ((need - cur) * win) / S[b + PREV]);
    else retry = win - S[b + E] + Math.ceil(win - (need * win) / cur);
  }
  if (strike) S[b + SU] = Math.max(S[b + BU], now) + decay;
  return retry;
}

/** Index helpers for the reply of {@link SLIDING_WINDOW}. @internal */
export const SW_FIELDS = 8;
/** @internal */
export const SW = { HITS: 0, REMAINING: 1, RESET: 2, RETRY: 3, REJECTED: 4, STRIKES: 5, BURST: 6, FIRST: 7 } as const;
