import { Logger, type ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import * as classValidator from 'class-validator';
import {
  IsEmail,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  MinLength,
  Validate,
  ValidateNested,
  ValidatorConstraint,
} from 'class-validator';
import type { ValidatorConstraintInterface } from 'class-validator';
import { CreateOrderDto as OrderBody } from '../../test/fixtures/create-order.dto';
import { SecurityEvents } from '../core/events/security-events.service';
import type { SecurityEvent } from '../core/events/security-event.interface';
import { resolveSecurityOptions } from '../core/options/resolve-options';
import type { ValidationOptions } from '../core/options/validation.options';
import { SecurityValidationPipe } from './security-validation.pipe';
import type { Ctor, DtoPlan } from './dto-plan.util';

class Plain {
  @IsString()
  name!: string;

  @IsInt()
  qty!: number;
}

class Line {
  @IsString()
  sku!: string;
}

class Order {
  @ValidateNested({ each: true })
  @Type(() => Line)
  lines!: Line[];
}

@ValidatorConstraint({ async: true })
class SlowUnique implements ValidatorConstraintInterface {
  async validate(value: unknown): Promise<boolean> {
    await new Promise((r) => setTimeout(r, 1));
    return value !== 'taken';
  }
}

class Signup {
  @IsEmail()
  @Validate(SlowUnique)
  email!: string;

  @IsString()
  @MinLength(12, { message: 'password "$value" is too short' })
  password!: string;
}

class Address {
  @IsString()
  city!: string;
}

/** `@IsObject()` on a nested DTO: class-validator would not look inside it. */
class LooseProfile {
  @IsString()
  name!: string;

  @IsOptional()
  @IsObject()
  address?: Address;
}

/** `@ValidateNested()` without `@Type()`: the value stays a plain object. */
class UntypedProfile {
  @IsOptional()
  @ValidateNested()
  address?: Address;
}

/** The loose nesting one level further down. */
class Account {
  @ValidateNested()
  @Type(() => LooseProfile)
  profile!: LooseProfile;
}

/** Correct nesting: nothing to report. */
class TypedProfile {
  @ValidateNested()
  @Type(() => Address)
  address!: Address;
}

function pipeWith(validation: ValidationOptions = {}) {
  const events: SecurityEvent[] = [];
  const options = resolveSecurityOptions({ validation, events: { logger: false, sinks: [(e) => events.push(e)] } });
  return { pipe: new SecurityValidationPipe(options, new SecurityEvents(options)), events };
}

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

function caught(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    return (error as { getResponse(): Record<string, unknown> }).getResponse();
  }
  throw new Error('expected a refusal');
}

describe('SecurityValidationPipe', () => {
  it('returns a DTO instance with the declared properties (fast path, no class-transformer)', () => {
    const { pipe } = pipeWith();
    const out = pipe.transform({ name: 'a', qty: 2 }, body(Plain));
    expect(out).toBeInstanceOf(Plain);
    expect(out).toEqual({ name: 'a', qty: 2 });
  });

  it('builds nested DTOs through class-transformer and names nested offending paths', () => {
    const { pipe } = pipeWith();
    const out = pipe.transform({ lines: [{ sku: 'a' }] }, body(Order)) as Order;
    expect(out.lines[0]).toBeInstanceOf(Line);
    const refused = caught(() => pipe.transform({ lines: [{ sku: 'a' }, { sku: 1, admin: true }] }, body(Order)));
    expect(refused.errors).toEqual([
      { property: 'lines.1.admin', constraints: { whitelistValidation: 'property admin should not exist' } },
      { property: 'lines.1.sku', constraints: { isString: 'sku must be a string' } },
    ]);
  });

  it.each([
    [
      'LooseProfile',
      LooseProfile,
      { name: 'a', address: { city: 'x', isAdmin: true } },
      /LooseProfile\.address is a Address without @ValidateNested\(\)/,
    ],
    [
      'UntypedProfile',
      UntypedProfile,
      { address: { city: 'x' } },
      /UntypedProfile\.address has @ValidateNested\(\) but no @Type\(\)/,
    ],
    [
      'Account (one level down)',
      Account,
      { profile: { name: 'a', address: { city: 'x', isAdmin: true } } },
      /LooseProfile\.address/,
    ],
  ] as Array<[string, ArgumentMetadata['metatype'], unknown, RegExp]>)(
    'fails closed (500, logged once) on %s, whose nested fields would go unchecked',
    (_name, metatype, input, logged) => {
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        const { pipe, events } = pipeWith();
        for (let i = 0; i < 2; i++) {
          const refused = caught(() => pipe.transform(input, body(metatype)));
          expect(refused).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' });
        }
        expect(error).toHaveBeenCalledTimes(1);
        expect(error).toHaveBeenCalledWith(expect.stringMatching(logged));
        expect(events.at(-1)).toMatchObject({ type: 'INTERNAL_ERROR', reason: 'dto_misconfigured' });
      } finally {
        error.mockRestore();
      }
    },
  );

  it('accepts correctly nested DTOs and still refuses their undeclared fields', () => {
    const { pipe } = pipeWith();
    expect(pipe.transform({ address: { city: 'x' } }, body(TypedProfile))).toBeInstanceOf(TypedProfile);
    const refused = caught(() => pipe.transform({ address: { city: 'x', isAdmin: true } }, body(TypedProfile)));
    expect(refused.errors).toEqual([
      { property: 'address.isAdmin', constraints: { whitelistValidation: 'property isAdmin should not exist' } },
    ]);
  });

  it('runs async constraints and never echoes a sensitive value, even through $value', async () => {
    const { pipe, events } = pipeWith();
    await expect(pipe.transform({ email: 'a@b.co', password: 'long-enough-pw' }, body(Signup))).resolves.toBeInstanceOf(
      Signup,
    );
    const error = (await (
      pipe.transform({ email: 'taken', password: 'hunter2' }, body(Signup)) as Promise<unknown>
    ).catch((e: { getResponse(): Record<string, unknown> }) => e.getResponse())) as {
      errors: Array<{ property: string; constraints: Record<string, string> }>;
    };
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect(error.errors.find((e) => e.property === 'password')?.constraints).toEqual({
      minLength: 'password is invalid',
    });
    expect(events.at(-1)).toMatchObject({ type: 'VALIDATION_FAILED', outcome: 'blocked' });
    expect(JSON.stringify(events.at(-1))).not.toContain('hunter2');
  });

  it('uses exceptionFactory when given', () => {
    const { pipe } = pipeWith({
      exceptionFactory: (issues) => new Error(`bad: ${issues.map((i) => i.property).join()}`),
    });
    expect(() => pipe.transform({ name: 1, qty: 1 }, body(Plain))).toThrow('bad: name');
  });

  it('keeps the original value when transform is off, stripped when forbidNonWhitelisted is off', () => {
    const { pipe } = pipeWith({ transform: false, forbidNonWhitelisted: false });
    const out = pipe.transform({ name: 'a', qty: 1, role: 'admin' }, body(Plain));
    expect(out).not.toBeInstanceOf(Plain);
    expect(out).toEqual({ name: 'a', qty: 1 });
  });

  it.each([
    [{ type: 'param', metatype: Number, data: 'id' }, '12', 12],
    [{ type: 'query', metatype: Number, data: 'n' }, '-1.5e2', -150],
    [{ type: 'query', metatype: Boolean, data: 'b' }, 'false', false],
    [{ type: 'query', metatype: String, data: 's' }, 'x', 'x'],
    [{ type: 'custom', metatype: Number }, 'anything', 'anything'],
    [{ type: 'body', metatype: Object }, { free: 'form' }, { free: 'form' }],
  ] as Array<[ArgumentMetadata, unknown, unknown]>)('converts or passes %p', (metadata, input, output) => {
    expect(pipeWith().pipe.transform(input, metadata)).toEqual(output);
  });

  it.each([
    [{ type: 'param', metatype: Number, data: 'id' }, '12abc'],
    [{ type: 'param', metatype: Number, data: 'id' }, '1e999'],
    [{ type: 'query', metatype: Boolean, data: 'b' }, 'yes'],
    [{ type: 'query', metatype: String, data: 's' }, ['a', 'b']],
    [{ type: 'body', metatype: Number, data: 'amount' }, '12'],
    [{ type: 'body', metatype: Plain }, [{ name: 'a', qty: 1 }]],
    [{ type: 'body', metatype: Plain }, null],
  ] as Array<[ArgumentMetadata, unknown]>)('refuses %p given %p', (metadata, input) => {
    expect(caught(() => pipeWith().pipe.transform(input, metadata)).code).toBe('VALIDATION_FAILED');
  });
});

/** A string without a length rule of its own: the pipe's default bound applies after validation. */
class Comment {
  @IsString()
  text!: string;
}

describe('SecurityValidationPipe accept-only fast path', () => {
  const validOrder = () => ({ sku: 'SKU-12345', quantity: 3, email: 'buyer@example.com', note: 'leave at the door' });

  /** What the pipe did: the value it returned (and its class), or the refusal it threw, and the events. */
  function outcome(pipe: SecurityValidationPipe, events: SecurityEvent[], input: unknown, metatype: Ctor) {
    events.length = 0;
    // Everything of the events but their timestamp.
    const seen = () => events.map(({ time: _time, ...event }) => event);
    try {
      const out = pipe.transform(input, body(metatype as ArgumentMetadata['metatype']));
      return { returned: out, ctor: (out as object).constructor, events: seen() };
    } catch (error) {
      return { refused: (error as { getResponse(): unknown }).getResponse(), events: seen() };
    }
  }

  /** A pipe as it was before the fast path: its plans keep everything but the acceptor. */
  function slowPipe(validation: ValidationOptions, metatype: Ctor) {
    const slow = pipeWith(validation);
    outcome(slow.pipe, slow.events, {}, metatype);
    const plans = (slow.pipe as unknown as { plans: Map<Ctor, DtoPlan> }).plans;
    const plan = plans.get(metatype)!;
    plans.set(metatype, { ...plan, accepts: undefined });
    return slow;
  }

  afterEach(() => jest.restoreAllMocks());

  it('skips validateSync for a valid body and returns the same instance as before', () => {
    const { pipe } = pipeWith();
    const spy = jest.spyOn(classValidator, 'validateSync');
    const out = pipe.transform(validOrder(), body(OrderBody));
    expect(spy).not.toHaveBeenCalled();
    expect(out).toBeInstanceOf(OrderBody);
    expect(out).toEqual(validOrder());
    expect(Object.keys(out as object)).toEqual(['sku', 'quantity', 'email', 'note']);
  });

  it('falls back to validateSync for an invalid body, with the same 400 body and event', () => {
    const { pipe, events } = pipeWith();
    const spy = jest.spyOn(classValidator, 'validateSync');
    const refused = caught(() =>
      pipe.transform({ sku: '', quantity: 0, email: 'not-an-email', isAdmin: true }, body(OrderBody)),
    );
    expect(spy).toHaveBeenCalledTimes(1);
    expect(refused).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: 'Validation failed',
      errors: [
        { property: 'isAdmin', constraints: { whitelistValidation: 'property isAdmin should not exist' } },
        { property: 'sku', constraints: { isLength: 'sku must be longer than or equal to 1 characters' } },
        {
          property: 'quantity',
          constraints: { min: 'quantity must not be less than 1' },
        },
        { property: 'email', constraints: { isEmail: 'email must be an email' } },
      ],
    });
    expect(events.at(-1)).toMatchObject({ type: 'VALIDATION_FAILED', reason: 'constraints_failed' });
  });

  const bodies: Array<[string, unknown]> = [
    ['valid', validOrder()],
    ['valid without note', { sku: 'a', quantity: 100, email: 'a@b.co' }],
    ['note null', { ...validOrder(), note: null }],
    ['an extra key', { ...validOrder(), isAdmin: true }],
    ['quantity as a string', { ...validOrder(), quantity: '3' }],
    ['sku too long in surrogate pairs', { ...validOrder(), sku: '😀'.repeat(65) }],
    ['a missing email', { sku: 'a', quantity: 1 }],
    ['a forbidden key', JSON.parse('{"sku":"a","quantity":1,"email":"a@b.co","__proto__":{"x":1}}')],
    ['an array', [validOrder()]],
    ['a secret-looking extra key', { ...validOrder(), password: 'hunter2' }],
  ];
  it.each([
    ['the defaults', {}],
    ['transform off', { transform: false }],
    ['whitelist only (strip)', { forbidNonWhitelisted: false }],
    ['whitelist off', { whitelist: false, forbidNonWhitelisted: false }],
  ] as Array<[string, ValidationOptions]>)('behaves exactly as before with %s', (_name, validation) => {
    const fast = pipeWith(validation);
    const slow = slowPipe(validation, OrderBody);
    for (const [, input] of bodies) {
      const copy = () => structuredClone(input) as unknown;
      expect(outcome(fast.pipe, fast.events, copy(), OrderBody)).toEqual(
        outcome(slow.pipe, slow.events, copy(), OrderBody),
      );
    }
    const planOf = (pipe: SecurityValidationPipe) =>
      (pipe as unknown as { plans: Map<Ctor, DtoPlan> }).plans.get(OrderBody);
    expect(planOf(fast.pipe)?.accepts).toBeInstanceOf(Function);
    expect(planOf(slow.pipe)?.accepts).toBeUndefined();
  });

  it('still applies the default string bound after a fast accept', () => {
    const { pipe } = pipeWith({ maxStringLength: 5 });
    const spy = jest.spyOn(classValidator, 'validateSync');
    expect(pipe.transform({ text: 'short' }, body(Comment))).toEqual({ text: 'short' });
    expect(spy).not.toHaveBeenCalled();
    expect(caught(() => pipe.transform({ text: 'too long' }, body(Comment))).errors).toEqual([
      { property: 'text', constraints: { maxLength: 'text must be shorter than or equal to 5 characters' } },
    ]);
  });
});
