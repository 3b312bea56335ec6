import type { HttpException } from '@nestjs/common';
import type { SecurityRequestState } from '../core/context/request-state';
import type { Principal } from '../core/context/principal.interface';
import type { AuthorizationExceptionFactory } from './authorization.options';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEventType } from '../core/events/security-event.interface';
import type { SecurityEvents } from '../core/events/security-events.service';

/**
 * Builds a denial and reports it as PERMISSION_DENIED with the rule that refused. 404 denials
 * use exactly the body of a missing record, so they reveal nothing.
 *
 * @internal
 */
export function denied(
  events: SecurityEvents,
  request: unknown,
  status: 403 | 404,
  reason: string,
  details: { rule: string; resourceType?: string; [key: string]: unknown },
  factory?: AuthorizationExceptionFactory,
): Error {
  events.emit({ type: SecurityEventType.PERMISSION_DENIED, outcome: 'blocked', reason, request, details });
  const [code, message] =
    status === 404
      ? [SecurityErrorCode.NOT_FOUND, Messages.NOT_FOUND()]
      : [SecurityErrorCode.PERMISSION_DENIED, Messages.FORBIDDEN()];
  if (factory) return factory({ status, code, message, rule: details.rule, resourceType: details.resourceType });
  return securityException(status, code, message);
}

/** A generic 500 for a failure the client must not learn about; the reason goes to the event. @internal */
export function internalFailure(
  events: SecurityEvents,
  request: unknown,
  reason: string,
  details: Record<string, unknown>,
): HttpException {
  events.emit({ type: SecurityEventType.INTERNAL_ERROR, outcome: 'failure', reason, request, details });
  return securityException(500, SecurityErrorCode.INTERNAL_ERROR, Messages.INTERNAL_ERROR());
}

/**
 * Makes sure authentication ran before an authorization stage and returns the principal.
 * Authentication enabled but not run means the pipeline is misordered: a 500, never a pass.
 * Authentication disabled (or no credentials on a public route) with rules to check: a 401.
 *
 * @internal
 */
export function requirePrincipal(
  events: SecurityEvents,
  request: unknown,
  state: SecurityRequestState,
  authEnabled: boolean,
  stage: string,
  factory?: AuthorizationExceptionFactory,
): Principal {
  if (state.authenticated !== true && authEnabled) {
    throw internalFailure(events, request, 'pipeline_misordered', { stage, problem: Messages.PIPELINE_ORDER(stage) });
  }
  if (!state.principal) {
    events.emit({
      type: SecurityEventType.PERMISSION_DENIED,
      outcome: 'blocked',
      reason: 'no_principal',
      request,
      details: { stage },
    });
    const [code, message] = [SecurityErrorCode.AUTHENTICATION_REQUIRED, Messages.AUTHENTICATION_REQUIRED()];
    throw factory ? factory({ status: 401, code, message }) : securityException(401, code, message);
  }
  return state.principal;
}
