import { Injectable } from '@nestjs/common';
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** A stored user. `passwordHash` never leaves this service (and is on the response denylist). */
export interface User {
  id: string;
  username: string;
  roles: string[];
  department: string;
  passwordHash: string;
}

/** The public view of a user. */
export type PublicUser = Omit<User, 'passwordHash'>;

/**
 * DEMO ONLY: seeded accounts with known passwords (`<username>-pass`). Passwords are stored as
 * scrypt hashes and compared in constant time, as a real user store would.
 */
const SEED: Array<Pick<User, 'id' | 'username' | 'roles' | 'department'>> = [
  { id: 'u-alice', username: 'alice', roles: ['user'], department: 'sales' },
  { id: 'u-bob', username: 'bob', roles: ['user'], department: 'engineering' },
  { id: 'u-carol', username: 'carol', roles: ['editor'], department: 'sales' },
  { id: 'u-admin', username: 'admin', roles: ['admin'], department: 'it' },
];

/**
 * DEMO ONLY: the TOTP secrets (base32) of the accounts enrolled from the start, so the docs and the
 * tests can compute their codes (`TotpService` tests them; any authenticator app shows them). A
 * real app stores secrets encrypted, apart from the user record, and never returns them.
 */
export const SAMPLE_TOTP_SECRETS: Readonly<Record<string, string>> = {
  'u-alice': 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  'u-carol': 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU',
  'u-admin': 'MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK',
};

function hash(password: string, salt = randomBytes(16)): string {
  return `${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
}

@Injectable()
export class UsersService {
  private readonly users = new Map<string, User>(
    SEED.map((u) => [u.username, { ...u, passwordHash: hash(`${u.username}-pass`) }]),
  );
  /** userId → TOTP secret (kept apart from the records `/admin/users` returns); `bob` enrols himself. */
  private readonly totpSecrets = new Map<string, string>(Object.entries(SAMPLE_TOTP_SECRETS));
  /** userId → a secret handed out by enrolment, active once a first code confirms it. */
  private readonly pendingTotpSecrets = new Map<string, string>();
  /** Compared against when the username is unknown, so timing does not reveal which usernames exist. */
  private readonly dummyHash = hash(randomBytes(12).toString('hex'));

  /** The user when the password matches, otherwise undefined (constant work either way). */
  verifyPassword(username: string, password: string): User | undefined {
    const user = this.users.get(username);
    const [saltHex, expectedHex] = (user?.passwordHash ?? this.dummyHash).split(':');
    const actual = scryptSync(password, Buffer.from(saltHex, 'hex'), 32);
    const ok = timingSafeEqual(actual, Buffer.from(expectedHex, 'hex'));
    return ok && user ? user : undefined;
  }

  findById(id: string): User | undefined {
    for (const user of this.users.values()) if (user.id === id) return user;
    return undefined;
  }

  /** The user's confirmed TOTP secret, or the pending one (`pending: true`) until a first code confirms it. */
  totpSecretOf(userId: string): { secret: string; pending: boolean } | undefined {
    const active = this.totpSecrets.get(userId);
    if (active) return { secret: active, pending: false };
    const pending = this.pendingTotpSecrets.get(userId);
    return pending ? { secret: pending, pending: true } : undefined;
  }

  /** Keeps a new secret until a first code confirms it; refused (false) once a secret is confirmed. */
  startTotpEnrolment(userId: string, secret: string): boolean {
    if (this.totpSecrets.has(userId)) return false;
    this.pendingTotpSecrets.set(userId, secret);
    return true;
  }

  confirmTotpEnrolment(userId: string): void {
    const pending = this.pendingTotpSecrets.get(userId);
    if (!pending) return;
    this.totpSecrets.set(userId, pending);
    this.pendingTotpSecrets.delete(userId);
  }

  /** Full records (the response filter strips `passwordHash` even so). */
  findAll(): User[] {
    return [...this.users.values()];
  }
}
