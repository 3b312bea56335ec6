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

function hash(password: string, salt = randomBytes(16)): string {
  return `${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
}

@Injectable()
export class UsersService {
  private readonly users = new Map<string, User>(
    SEED.map((u) => [u.username, { ...u, passwordHash: hash(`${u.username}-pass`) }]),
  );
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

  /** Full records (the response filter strips `passwordHash` even so). */
  findAll(): User[] {
    return [...this.users.values()];
  }
}
