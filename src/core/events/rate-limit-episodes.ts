import type { SecurityEvent, SecurityEventInput } from './security-event.interface';

/** An episode ends this long after its last refusal, at the earliest. */
const QUIET_MS = 5_000;
/** Episodes tracked at once: beyond it, refusals are still reported, their end is not. */
const MAX_EPISODES = 10_000;

interface Episode {
  first: SecurityEvent;
  since: number;
  last: number;
  /** The end of the block (the last refusal's `retryAfter`). */
  until: number;
  refused: number;
}

/** What the tracker asks its owner to write. @internal */
export type EpisodeReport = { kind: 'start'; input: SecurityEventInput } | { kind: 'end'; event: SecurityEvent };

/**
 * Groups `RATE_LIMITED` refusals per episode (per tracker and policies): the first refusal is
 * reported, the others are counted, and the episode ends with one `RATE_LIMIT_ENDED` carrying
 * the count once the block is over and the client has been quiet for 5 s.
 *
 * @internal
 */
export class RateLimitEpisodes {
  private readonly open = new Map<string, Episode>();

  get size(): number {
    return this.open.size;
  }

  /**
   * A refusal. `first` is the store's word (a new block was imposed); `undefined` lets the tracker
   * decide (a refusal with no open episode starts one). Returns what to write, in order.
   */
  refusal(
    key: string,
    input: SecurityEventInput,
    first: boolean | undefined,
    build: (input: SecurityEventInput) => SecurityEvent,
    now: number,
  ): EpisodeReport[] {
    const retryAfter = typeof input.details?.retryAfter === 'number' ? input.details.retryAfter * 1000 : 0;
    const episode = this.open.get(key);
    const reports: EpisodeReport[] = [];
    if (episode && first !== true) {
      episode.refused++;
      episode.last = now;
      episode.until = Math.max(episode.until, now + retryAfter);
      return reports;
    }
    if (episode) reports.push({ kind: 'end', event: this.end(key, episode, now) });
    if (this.open.size >= MAX_EPISODES) return [...reports, { kind: 'start', input }];
    const event = build(input);
    this.open.set(key, { first: event, since: now, last: now, until: now + retryAfter, refused: 1 });
    // Another instance may have started this episode (the store says "not first"): count it silently.
    if (first !== false) reports.push({ kind: 'start', input });
    return reports;
  }

  /** The episodes that are over. */
  sweep(now: number): SecurityEvent[] {
    const ended: SecurityEvent[] = [];
    for (const [key, episode] of this.open) {
      if (now >= Math.max(episode.until, episode.last + QUIET_MS)) ended.push(this.end(key, episode, now));
    }
    return ended;
  }

  private end(key: string, episode: Episode, now: number): SecurityEvent {
    this.open.delete(key);
    const { first } = episode;
    const event: SecurityEvent = {
      ...first,
      type: 'RATE_LIMIT_ENDED',
      time: new Date(now).toISOString(),
      outcome: 'info',
    };
    event.details = {
      ...(first.details?.tracker === undefined ? {} : { tracker: first.details.tracker }),
      ...(first.details?.policies === undefined ? {} : { policies: first.details.policies }),
      refused: episode.refused,
      durationMs: episode.last - episode.since,
    };
    return event;
  }
}
