import * as classValidator from 'class-validator';
import {
  Allow,
  ArrayMaxSize,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  Validate,
  ValidateIf,
  ValidateNested,
  ValidatePromise,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';
import { Type } from 'class-transformer';
import fc from 'fast-check';
import { CreateOrderDto as OrderDto } from '../../test/fixtures/create-order.dto';
import { compileAcceptor, isMirroredVersion } from './compiled-validator.util';
import type { Ctor } from './dto-plan.util';

/** The options SecurityValidationPipe passes with its defaults. */
const PIPE: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};
const STRIP: ValidatorOptions = { ...PIPE, forbidNonWhitelisted: false };
const NO_WHITELIST: ValidatorOptions = { ...PIPE, whitelist: false, forbidNonWhitelisted: false };

const seen: Array<{ property: string; value: unknown; targetName: string; constraints: unknown[] }> = [];

@ValidatorConstraint({ name: 'evenLength' })
class EvenLength implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    seen.push({
      property: args.property,
      value: args.value,
      targetName: args.targetName,
      constraints: args.constraints,
    });
    return typeof value === 'string' && value.length % (args.constraints[0] as number) === 0;
  }
}

/** Truthy but not `true`: class-validator counts it valid, the acceptor must not. */
@ValidatorConstraint({ name: 'truthy' })
class Truthy implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return (value === 'ok' ? 'yes' : true) as boolean;
  }
}

@ValidatorConstraint({ name: 'throws' })
class Throws implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (value === 'boom') throw new Error('boom');
    return true;
  }
}

/** A constraint declared sync that returns a promise: validateSync ignores it, the acceptor must not accept. */
@ValidatorConstraint({ name: 'sneakyAsync' })
class SneakyAsync implements ValidatorConstraintInterface {
  validate(value: unknown): boolean | Promise<boolean> {
    return value === 'later' ? Promise.resolve(false) : true;
  }
}

class ConditionalDto {
  @IsOptional()
  @IsInt()
  age?: number;

  @IsString()
  kind!: string;

  @ValidateIf((o: ConditionalDto) => o.kind === 'company')
  @IsString()
  @Length(2, 4)
  vat?: string;

  @IsDefined()
  @IsIn(['a', 'b'], { validateIf: (_o: object, v: unknown) => v !== 'skip' })
  mode!: string;

  @Allow()
  anything?: unknown;

  @ValidateIf(() => false)
  onlyConditional?: unknown;

  @IsOptional()
  @Validate(EvenLength, [2])
  even?: string;

  @IsOptional()
  @Validate(Truthy)
  truthy?: string;

  @IsOptional()
  @Validate(Throws)
  throws?: string;

  @IsOptional()
  @Validate(SneakyAsync)
  sneaky?: string;
}

class BaseDto {
  @IsString()
  @MaxLength(5)
  name!: string;

  @IsInt()
  id!: number;
}

class ChildDto extends BaseDto {
  /** Overrides the base's isString/maxLength (same metadata types are replaced by type). */
  @IsString()
  @Length(1, 3)
  declare name: string;

  @IsOptional()
  @ArrayMaxSize(2)
  tags?: string[];
}

class Line {
  @IsString()
  sku!: string;
}

class EachDto {
  @IsString({ each: true })
  tags!: string[];
}

class NestedDto {
  @ValidateNested()
  @Type(() => Line)
  line!: Line;
}

class GroupsDto {
  @IsString({ groups: ['admin'] })
  role!: string;
}

class AlwaysDto {
  @IsString({ always: true })
  name!: string;
}

@ValidatorConstraint({ async: true })
class AsyncCheck implements ValidatorConstraintInterface {
  validate(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

class AsyncDto {
  @Validate(AsyncCheck)
  name!: string;
}

class PromiseDto {
  @ValidatePromise()
  @IsString()
  name!: Promise<string>;
}

class EmptyDto {
  name?: string;
}

/** Builds an instance the way the pipe's cheap path does (own keys copied into `new Dto()`). */
function instance(dto: Ctor, plain: Record<string, unknown>): Record<string, unknown> {
  const out = new (dto as unknown as new () => Record<string, unknown>)();
  for (const key of Object.keys(plain)) {
    Object.defineProperty(out, key, { value: plain[key], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The differential check: the acceptor may only say yes when validateSync finds nothing, and
 * leaves the instance as validateSync would (stripping). Returns the acceptor's verdict.
 */
function check(dto: Ctor, plain: Record<string, unknown>, options = PIPE): boolean {
  const accepts = compileAcceptor(dto, classValidator, options);
  if (!accepts) throw new Error(`no acceptor for ${dto.name}`);
  const fast = instance(dto, plain);
  const slow = instance(dto, plain);
  const verdict = accepts(fast);
  let errors: classValidator.ValidationError[];
  try {
    errors = classValidator.validateSync(slow, options);
  } catch {
    // A constraint that throws makes validateSync throw: the acceptor must leave that to it.
    expect(verdict).toBe(false);
    return verdict;
  }
  if (verdict) {
    expect(errors).toEqual([]);
    expect(Object.keys(fast)).toEqual(Object.keys(slow));
  }
  return verdict;
}

const valid = { sku: 'SKU-12345', quantity: 3, email: 'buyer@example.com', note: 'leave at the door' };
const WRONG = [undefined, null, '', 0, -1, 1.5, NaN, Infinity, true, [], {}, ['a'], 'x'.repeat(300)];

describe('compileAcceptor', () => {
  it.each([
    ['valid', valid],
    ['without the optional note', { sku: 'a', quantity: 1, email: 'a@b.co' }],
    ['note null (IsOptional skips it)', { ...valid, note: null }],
    ['note undefined', { ...valid, note: undefined }],
    ['boundaries', { sku: 'x'.repeat(64), quantity: 100, email: 'x@y.io', note: 'n'.repeat(200) }],
    ['lower boundaries', { sku: 'x', quantity: 1, email: 'x@y.io', note: '' }],
    ['surrogate pairs counted as one character by Length', { ...valid, sku: '😀'.repeat(64) }],
    ['unicode', { ...valid, sku: 'Ünïcödé-ß', note: '注文' }],
  ])('accepts the valid order %s, and validateSync agrees', (_name, plain) => {
    expect(check(OrderDto, plain)).toBe(true);
  });

  const invalid: Array<[string, Record<string, unknown>]> = [
    ['an extra key', { ...valid, isAdmin: true }],
    ['an extra key named like an Object.prototype member', { ...valid, hasOwnProperty: 1 }],
    ['an own constructor key', { ...valid, constructor: 1 }],
    ['no sku', { quantity: 3, email: 'a@b.co' }],
    ['an empty body', {}],
    ['sku too long', { ...valid, sku: 'x'.repeat(65) }],
    ['sku of 65 surrogate pairs', { ...valid, sku: '😀'.repeat(65) }],
    ['quantity 0', { ...valid, quantity: 0 }],
    ['quantity 101', { ...valid, quantity: 101 }],
    ['quantity as a string', { ...valid, quantity: '3' }],
    ['an invalid email', { ...valid, email: 'not-an-email' }],
    ['note too long', { ...valid, note: 'n'.repeat(201) }],
    ...(['sku', 'quantity', 'email', 'note'] as const).flatMap((key) =>
      WRONG.map((bad): [string, Record<string, unknown>] => [
        `${key}: ${String(bad).slice(0, 10)}`,
        { ...valid, [key]: bad },
      ]),
    ),
  ];
  it.each(invalid)('never accepts what validateSync refuses: %s', (_name, plain) => {
    check(OrderDto, plain);
  });

  it('refuses the invalid orders (it is not just accepting everything)', () => {
    expect(check(OrderDto, { ...valid, isAdmin: true })).toBe(false);
    expect(check(OrderDto, { ...valid, quantity: 0 })).toBe(false);
    expect(check(OrderDto, { ...valid, sku: '😀'.repeat(65) })).toBe(false);
    expect(check(OrderDto, { ...valid, constructor: 1 })).toBe(false);
  });

  it('mirrors IsOptional, ValidateIf, IsDefined, the validateIf option and @Allow', () => {
    const ok = { kind: 'person', mode: 'a' };
    expect(check(ConditionalDto, ok)).toBe(true);
    expect(check(ConditionalDto, { ...ok, age: 4, anything: { x: [1] }, onlyConditional: 'whatever' })).toBe(true);
    expect(check(ConditionalDto, { ...ok, age: null })).toBe(true);
    expect(check(ConditionalDto, { ...ok, age: 'x' })).toBe(false);
    expect(check(ConditionalDto, { ...ok, vat: 123 })).toBe(true); // not a company: vat is not validated
    expect(check(ConditionalDto, { ...ok, kind: 'company', vat: 'DE12' })).toBe(true);
    expect(check(ConditionalDto, { ...ok, kind: 'company' })).toBe(false);
    expect(check(ConditionalDto, { ...ok, kind: 'company', vat: 'DE12345' })).toBe(false);
    expect(check(ConditionalDto, { kind: 'person' })).toBe(false); // IsDefined
    expect(check(ConditionalDto, { ...ok, mode: null })).toBe(false);
    expect(check(ConditionalDto, { ...ok, mode: 'skip' })).toBe(true); // IsIn skipped by its validateIf
    expect(check(ConditionalDto, { ...ok, mode: 'c' })).toBe(false);
  });

  it('calls custom constraints with the ValidationArguments class-validator builds', () => {
    seen.length = 0;
    expect(check(ConditionalDto, { kind: 'person', mode: 'a', even: 'abcd' })).toBe(true);
    expect(seen).toEqual([
      { property: 'even', value: 'abcd', targetName: 'ConditionalDto', constraints: [2] },
      { property: 'even', value: 'abcd', targetName: 'ConditionalDto', constraints: [2] },
    ]);
    expect(check(ConditionalDto, { kind: 'person', mode: 'a', even: 'abc' })).toBe(false);
  });

  it.each([
    ['a truthy non-boolean', { truthy: 'ok' }],
    ['a throwing constraint', { throws: 'boom' }],
    ['a promise from a sync constraint', { sneaky: 'later' }],
  ])('does not accept %s, which only class-validator decides about', (_name, extra) => {
    expect(check(ConditionalDto, { kind: 'person', mode: 'a', ...extra })).toBe(false);
  });

  it('follows inheritance, with the child overriding a base rule', () => {
    expect(check(ChildDto, { name: 'abc', id: 1 })).toBe(true);
    expect(check(ChildDto, { name: 'abc', id: 1, tags: ['x', 'y'] })).toBe(true);
    expect(check(ChildDto, { name: 'abcd', id: 1 })).toBe(false);
    expect(check(ChildDto, { name: 'abc', id: 'x' })).toBe(false);
    expect(check(ChildDto, { name: 'abc', id: 1, tags: ['x', 'y', 'z'] })).toBe(false);
    expect(check(BaseDto, { name: 'abcd', id: 1 })).toBe(true);
    expect(check(BaseDto, { name: 'abc', id: 1, tags: [] })).toBe(false);
  });

  it('does not accept an instance of another class (metadata is looked up by constructor)', () => {
    const accepts = compileAcceptor(BaseDto, classValidator, PIPE)!;
    expect(accepts(instance(ChildDto, { name: 'abcd', id: 1 }))).toBe(false);
    expect(accepts({ name: 'a', id: 1 })).toBe(false);
  });

  it('strips undeclared keys like the executor when only whitelist is on', () => {
    expect(check(OrderDto, { ...valid, isAdmin: true, role: 'x' }, STRIP)).toBe(true);
    const stripped = instance(OrderDto, { ...valid, isAdmin: true });
    expect(compileAcceptor(OrderDto, classValidator, STRIP)!(stripped)).toBe(true);
    expect(stripped).toEqual(valid);
    expect(check(OrderDto, { ...valid, valueOf: 1 }, STRIP)).toBe(false);
    expect(check(OrderDto, { ...valid, isAdmin: true }, NO_WHITELIST)).toBe(true);
  });

  it.each([
    ['each: true', EachDto, PIPE],
    ['nested validation', NestedDto, PIPE],
    ['groups', GroupsDto, PIPE],
    ['always', AlwaysDto, PIPE],
    ['an async constraint', AsyncDto, PIPE],
    ['promise validation', PromiseDto, PIPE],
    ['no metadata at all (forbidUnknownValues)', EmptyDto, PIPE],
    ['skipMissingProperties', OrderDto, { ...PIPE, skipMissingProperties: true }],
    ['groups in the options', OrderDto, { ...PIPE, groups: ['x'] }],
    ['stopAtFirstError', OrderDto, { ...PIPE, stopAtFirstError: true }],
  ] as Array<[string, Ctor, ValidatorOptions]>)('compiles no fast path for %s', (_name, dto, options) => {
    expect(compileAcceptor(dto, classValidator, options)).toBeUndefined();
  });

  it.each([
    ['0.15.1', true],
    ['0.14.0', true],
    ['0.14.3', true],
    ['0.16.0', false],
    ['0.13.2', false],
    ['1.0.0', false],
    ['0.15.2-beta.1', false],
    [undefined, false],
  ])('mirrors class-validator %s: %s', (version, mirrored) => {
    expect(isMirroredVersion(version)).toBe(mirrored);
  });

  it.each([
    ['0.14.4', OrderDto, true],
    ['0.14.4', ConditionalDto, false], // a validateIf option 0.14's executor would ignore
    ['0.15.1', ConditionalDto, true],
    ['0.16.0', OrderDto, false],
  ] as Array<[string, Ctor, boolean]>)(
    'with class-validator %s installed, compiles a fast path for %p: %s',
    (version, dto, compiled) => {
      jest.isolateModules(() => {
        jest.doMock('class-validator/package.json', () => ({ version }));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fresh = require('./compiled-validator.util') as typeof import('./compiled-validator.util');
        expect(fresh.compileAcceptor(dto, classValidator, PIPE) !== undefined).toBe(compiled);
      });
      jest.dontMock('class-validator/package.json');
    },
  );

  describe('property-based, against validateSync', () => {
    const field = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 6, arbitrary: good }, fc.jsonValue());
    const order = fc.record(
      {
        sku: field(fc.string({ minLength: 0, maxLength: 70, unit: 'grapheme' })),
        quantity: field(fc.integer({ min: -5, max: 110 })),
        email: field(fc.oneof(fc.emailAddress(), fc.string())),
        note: field(fc.oneof(fc.constant(null), fc.string({ maxLength: 210 }))),
      },
      { requiredKeys: [] },
    );
    const extra = fc.dictionary(
      fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__'),
      fc.jsonValue(),
      { maxKeys: 2 },
    );

    it.each([
      ['forbidNonWhitelisted', PIPE],
      ['whitelist only (strip)', STRIP],
    ])('never accepts an object validateSync refuses (%s)', (_name, options) => {
      let accepted = 0;
      fc.assert(
        fc.property(order, fc.option(extra, { nil: undefined }), (plain, more) => {
          if (check(OrderDto, { ...plain, ...more }, options)) accepted++;
        }),
        { numRuns: 3000 },
      );
      // Not vacuous: a good share of the generated orders are valid and take the fast path.
      expect(accepted).toBeGreaterThan(50);
    });

    it('accepts every valid order it is given', () => {
      const validOrder = fc.record(
        {
          sku: fc.string({ minLength: 1, maxLength: 64 }),
          quantity: fc.integer({ min: 1, max: 100 }),
          email: fc.emailAddress(),
          note: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        },
        { requiredKeys: ['sku', 'quantity', 'email'] },
      );
      fc.assert(
        fc.property(validOrder, (plain) => {
          const errors = classValidator.validateSync(instance(OrderDto, plain), PIPE);
          // fast-check's emails are RFC-valid; validator.js is stricter about some (then both say no).
          if (errors.length === 0) expect(check(OrderDto, plain)).toBe(true);
        }),
        { numRuns: 1000 },
      );
    });
  });
});
