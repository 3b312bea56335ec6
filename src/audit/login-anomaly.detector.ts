import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { LoginObserver } from '../core/events/login-observer.interface';
import { SecurityEventType, type SecurityEventInput } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import type { ResolvedCoreOptions } from '../core/options/core.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { SecurityStorage, storageKey } from '../storage/security-storage.interface';
import { ADD_DISTINCT } from './distinct-count.script';

/**
 * The login anomaly signals (`events.anomalies`): counts, in the security storage, the distinct
 * usernames failing from one IP and the distinct IPs failing on one username within the window,
 * and reports `PASSWORD_SPRAYING_SUSPECTED` / `CREDENTIAL_STUFFING_SUSPECTED` once per window when
 * a threshold is reached. It never refuses a request and never slows one down: the counting runs in
 * the background, and a storage failure only skips the signal.
 *
 * @internal
 */
@Injectable()
export class LoginAnomalyDetector implements LoginObserver {
  private readonly config: ResolvedCoreOptions['events']['anomalies'];

  constructor(
    @Inject(SECURITY_OPTIONS) options: ResolvedCoreOptions,
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    events: SecurityEvents,
  ) {
    this.config = options.events.anomalies;
    if (this.config !== false) events.observeLogins(this);
  }

  failed(ip: string, usernameHash: string, request: unknown, emit: (input: SecurityEventInput) => void): void {
    const config = this.config;
    if (config === false) return;
    const windowMs = String(config.windowSeconds * 1000);
    // The IP is hashed in the key: keys may be listed by whoever operates the store.
    const ipKey = storageKey('anomaly', createHash('sha256').update(ip).digest('base64url').slice(0, 22), 'users');
    const userKey = storageKey('anomaly', usernameHash, 'ips');
    this.count(ipKey, usernameHash, config.usernamesPerIp, windowMs, () =>
      emit({
        type: SecurityEventType.PASSWORD_SPRAYING_SUSPECTED,
        outcome: 'failure',
        reason: 'many_usernames_from_one_ip',
        request,
        details: { distinctUsernames: config.usernamesPerIp, windowSeconds: config.windowSeconds },
      }),
    );
    this.count(userKey, ip, config.ipsPerUsername, windowMs, () =>
      emit({
        type: SecurityEventType.CREDENTIAL_STUFFING_SUSPECTED,
        outcome: 'failure',
        reason: 'many_ips_on_one_username',
        request,
        details: { usernameHash, distinctIps: config.ipsPerUsername, windowSeconds: config.windowSeconds },
      }),
    );
  }

  private count(key: string, member: string, threshold: number, windowMs: string, raise: () => void): void {
    this.storage.run(ADD_DISTINCT, [key], [member, threshold, windowMs]).then(
      ([, crossed]) => {
        if (crossed === 1) raise();
      },
      // A signal, not a control: an outage is reported by the features that depend on the store.
      () => undefined,
    );
  }
}
