import type { SecurityEventInput } from './security-event.interface';

const PENDING = Symbol.for('nestjs-rampart:pending-event');

/**
 * Attaches an event to an exception, to be emitted with the request by the exception filter:
 * pipes never see the request, and the event must carry its context (request id, IP, route).
 *
 * @internal
 */
export function attachEvent<T>(exception: T, input: SecurityEventInput): T {
  if (typeof exception === 'object' && exception !== null) {
    Object.defineProperty(exception, PENDING, { value: input, enumerable: false, configurable: true });
  }
  return exception;
}

/** Takes (and clears) the event attached to an exception, if any. @internal */
export function takeEvent(exception: unknown): SecurityEventInput | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const input = (exception as { [PENDING]?: SecurityEventInput })[PENDING];
  if (input) delete (exception as { [PENDING]?: SecurityEventInput })[PENDING];
  return input;
}
