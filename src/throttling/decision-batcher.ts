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
 * Sends rate-limit decisions to a shared store in batches ({@link SLIDING_WINDOW_BATCH}): the
 * requests that arrive together share one round trip, one command and one reply to parse. Each
 * decision gets exactly the reply its own {@link SLIDING_WINDOW} run would have given, in
 * arrival order, atomically, so limits stay exact across instances. A batch of one is sent as a
 * plain SLIDING_WINDOW run.
 *
 * One batch is in flight at a time: decisions that arrive meanwhile wait for its reply and then go
 * together (Nagle-style), so under load a batch holds what arrived during one round trip, and
 * an idle server sends a lone decision at the end of the current turn of the event loop
 * (`setImmediate`). A full queue ({@link MAX_BATCH}) is sent at once. When a batch fails, every
 * decision in it and every decision waiting behind it is rejected at once (the caller's failure
 * policy applies to each), so no request waits for more than one command timeout.
 *
 * @internal
 */
export class DecisionBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(private readonly storage: SecurityStorage) {}

  /** One SLIDING_WINDOW decision, batched with the others that arrive before it is sent. */
  decide(keys: readonly string[], args: readonly string[]): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      this.queue.push({ keys, args, resolve, reject });
      if (this.queue.length >= MAX_BATCH) this.flush();
      else if (this.inFlight === 0) this.schedule();
      // Otherwise the batch in flight sends this one when it answers.
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushScheduled);
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private flush(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.inFlight++;
    const sent =
      batch.length === 1
        ? this.storage.run(SLIDING_WINDOW, batch[0].keys, batch[0].args).then((reply) => [reply])
        : this.send(batch);
    sent.then(
      (replies) => {
        this.inFlight--;
        for (let i = 0; i < batch.length; i++) batch[i].resolve(replies[i]);
        if (this.queue.length > 0 && this.inFlight === 0) this.schedule();
      },
      (error: unknown) => {
        this.inFlight--;
        // The store failed or timed out: everything waiting behind this batch would only wait
        // for the same answer. The caller's failure policy decides for all of them now.
        const waiting = this.queue;
        this.queue = [];
        for (const pending of batch) pending.reject(error);
        for (const pending of waiting) pending.reject(error);
      },
    );
  }

  private send(batch: readonly Pending[]): Promise<number[][]> {
    const { keys, args } = batchSlidingWindow(batch);
    return this.storage
      .run(SLIDING_WINDOW_BATCH, keys, args)
      .then((reply) => splitSlidingWindowBatch(reply, batch.length));
  }
}
