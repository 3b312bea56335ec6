import type { SecurityStorage } from '../storage/security-storage.interface';
import {
  batchSlidingWindow,
  SLIDING_WINDOW,
  SLIDING_WINDOW_BATCH,
  type SlidingWindowCall,
  splitSlidingWindowBatch,
} from '../storage/sliding-window.script';

interface Pending extends SlidingWindowCall {
  resolve(reply: number[]): void;
  reject(error: unknown): void;
}

/** Decisions sent in one script at most; more in one turn of the event loop flush early. */
const MAX_BATCH = 64;

/**
 * Sends the rate-limit decisions of one turn of the event loop to a shared store as ONE script
 * ({@link SLIDING_WINDOW_BATCH}): the requests that arrived together share one round trip,
 * one command and one reply to parse. Each decision gets exactly the reply its own
 * {@link SLIDING_WINDOW} run would have given, in arrival order, atomically, so limits stay exact
 * across instances. A decision alone in its turn is sent as a plain SLIDING_WINDOW run.
 *
 * The queue is flushed by `setImmediate`: after the poll phase, so every request read from the
 * sockets in this turn is in the batch, and a lone request waits for nothing but the end of the
 * turn. A failed batch rejects every decision in it (the caller's failure policy applies to each).
 *
 * Measured on a Redis rate-limited GET (Fastify, 50 connections, `npm run bench`): see the README's
 * Performance section.
 *
 * @internal
 */
export class DecisionBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly storage: SecurityStorage) {}

  /** One SLIDING_WINDOW decision, batched with the others of this turn. */
  decide(keys: readonly string[], args: readonly string[]): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      this.queue.push({ keys, args, resolve, reject });
      if (this.queue.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushScheduled);
      }
    });
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private flush(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    if (batch.length === 1) {
      const [one] = batch;
      this.storage.run(SLIDING_WINDOW, one.keys, one.args).then(one.resolve, one.reject);
      return;
    }
    const { keys, args } = batchSlidingWindow(batch);
    this.storage.run(SLIDING_WINDOW_BATCH, keys, args).then(
      (reply) => {
        let parts: number[][];
        try {
          parts = splitSlidingWindowBatch(reply, batch.length);
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          return;
        }
        for (let i = 0; i < batch.length; i++) batch[i].resolve(parts[i]);
      },
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  }
}
