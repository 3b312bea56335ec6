/**
 * A storage backend did not answer (down, timed out, refused). Features catch it and apply their
 * failure policy; it is never shown to clients as is.
 *
 * @publicApi
 */
export class StorageUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = this.constructor.name;
  }
}
