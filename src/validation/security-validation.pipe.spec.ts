import { Logger, type ArgumentMetadata } from '@nestjs/common';
import { Expose, Type } from 'class-transformer';
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
import fc from 'fast-check';
import { SecurityEvents } from '../core/events/security-events.service';
import type { SecurityEvent } from '../core/events/security-event.interface';
import { resolveSecurityOptions } from '../security.options';
import type { ValidationOptions } from './validation.options';
import { SecurityValidationPipe } from './security-validation.pipe';
import { HeaderInput } from './header-input.util';

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

/** The loose nesting inside an array (`design:type` is Array): found when its elements are met. */
class Team {
  @ValidateNested({ each: true })
  @Type(() => LooseProfile)
  members!: LooseProfile[];
}

/** `@ValidateNested()` without `@Type()` on an array: its elements stay plain objects. */
class UntypedOrder {
  @ValidateNested({ each: true })
  lines!: Line[];
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
  it('returns a DTO instance with the declared properties', () => {
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
    [
      'Team (in an array)',
      Team,
      { members: [{ name: 'a', address: { city: 'x', isAdmin: true } }] },
      /LooseProfile\.address is a Address without @ValidateNested\(\)/,
    ],
    [
      'UntypedOrder (an array)',
      UntypedOrder,
      { lines: [{ sku: 'a' }] },
      /UntypedOrder\.lines has @ValidateNested\(\) but no @Type\(\)/,
    ],
  ] as Array<[string, ArgumentMetadata['metatype'], unknown, RegExp]>)(
    'fails closed (500, logged once) on %s, whose nested fields would go unchecked',
    async (_name, metatype, input, logged) => {
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        const { pipe, events } = pipeWith();
        for (let i = 0; i < 2; i++) {
          const refused = caught(() => pipe.transform(input, body(metatype)));
          expect(refused).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' });
        }
        expect(error).toHaveBeenCalledTimes(1);
        expect(error).toHaveBeenCalledWith(expect.stringMatching(logged));
        // The event rides on the error (the filter adds the request context); outside an app it is emitted on the next turn.
        await new Promise((resolve) => setImmediate(resolve));
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
    // Outside an app no exception filter takes the event from the error: it is emitted on the next turn.
    await new Promise((resolve) => setImmediate(resolve));
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

/** Every name `{}` inherits, `__proto__` included: class-validator's whitelist looks names up on a plain object. */
const INHERITED_NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])];

class Part {
  @IsString()
  sku!: string;
}

class Shipment {
  @IsString()
  title!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => Part)
  part?: Part;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Part)
  parts?: Part[];
}

class Search {
  @IsOptional()
  @IsString()
  q?: string;
}

/** `{ [name]: value, ...rest }` with `name` as an own key, whatever it is (`__proto__` too), as JSON.parse builds it. */
function withOwnKey(name: string, value: unknown, rest: Record<string, unknown>): Record<string, unknown> {
  const head = `{${JSON.stringify(name)}:${JSON.stringify(value)}`;
  const tail = JSON.stringify(rest).slice(1);
  return JSON.parse(tail === '}' ? `${head}}` : `${head},${tail}`) as Record<string, unknown>;
}

type Where = 'top' | 'nested' | 'array item';

/** A valid Shipment body with `name` added where asked, and the path the refusal must name. */
function shipmentWith(name: string, value: unknown, where: Where): { input: Record<string, unknown>; path: string } {
  if (where === 'top') return { input: withOwnKey(name, value, { title: 't' }), path: name };
  if (where === 'nested')
    return { input: { title: 't', part: withOwnKey(name, value, { sku: 'a' }) }, path: `part.${name}` };
  return {
    input: { title: 't', parts: [{ sku: 'a' }, withOwnKey(name, value, { sku: 'b' })] },
    path: `parts.1.${name}`,
  };
}

/** JSON values that pass the payload inspector (no forbidden keys, NUL bytes or deep nesting inside). */
const harmless = fc.oneof(
  fc.constant({ ownerId: 'u-alice' }),
  fc.string({ maxLength: 8 }).filter((t) => !t.includes('\u0000')),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.integer(), { maxKeys: 3 }),
);
const where = fc.constantFrom<Where>('top', 'nested', 'array item');

describe('SecurityValidationPipe whitelist: every undeclared property is refused, whatever its name', () => {
  afterEach(() => jest.restoreAllMocks());

  const WHERE: Where[] = ['top', 'nested', 'array item'];

  it.each([
    ['the defaults (forbidden keys refused first)', {}, new Set(['__proto__', 'constructor'])],
    ['only __proto__ a forbidden key', { forbiddenKeys: ['__proto__'] }, new Set(['__proto__'])],
  ] as Array<[string, ValidationOptions, Set<string>]>)(
    'refuses each Object.prototype name at the top level, nested and in arrays, with %s',
    (_name, validation, forbidden) => {
      const { pipe } = pipeWith(validation);
      // Every name at every position, each with arbitrary values.
      for (const name of INHERITED_NAMES) {
        for (const at of WHERE) {
          fc.assert(
            fc.property(harmless, (value) => {
              const { input, path } = shipmentWith(name, value, at);
              const refused = caught(() => pipe.transform(input, body(Shipment)));
              expect(refused).toMatchObject({
                statusCode: 400,
                code: 'VALIDATION_FAILED',
                message: 'Validation failed',
              });
              expect(refused.errors).toEqual([
                forbidden.has(name)
                  ? { property: path, constraints: { forbiddenKey: `${path} is not an allowed property name` } }
                  : { property: path, constraints: { whitelistValidation: `property ${name} should not exist` } },
              ]);
            }),
            { numRuns: 15 },
          );
        }
      }
      expect(({} as Record<string, unknown>).ownerId).toBeUndefined();
    },
  );

  it('words an Object.prototype name exactly like any other undeclared property', () => {
    const { pipe } = pipeWith({ forbiddenKeys: ['__proto__'] });
    // Names that look sensitive (a generated `aSsn`, say) get the generic wording, whatever they are.
    const sensitive = resolveSecurityOptions({}).validation.sensitiveField;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(...INHERITED_NAMES.filter((n) => n !== '__proto__')),
          fc.stringMatching(/^[a-z]\w{0,8}$/),
        ),
        where,
        (name, at) => {
          fc.pre(!['title', 'part', 'parts', 'sku'].includes(name));
          const { input, path } = shipmentWith(name, 1, at);
          const text = sensitive.test(name) ? `${path} is invalid` : `property ${name} should not exist`;
          expect(caught(() => pipe.transform(input, body(Shipment))).errors).toEqual([
            { property: path, constraints: { whitelistValidation: text } },
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lists a prototype name with the other failures of the same body', () => {
    const { pipe } = pipeWith();
    const input = JSON.parse('{"title":1,"isAdmin":true,"hasOwnProperty":{"ownerId":"u-alice"},"part":{"sku":2}}');
    expect(caught(() => pipe.transform(input, body(Shipment))).errors).toEqual([
      { property: 'isAdmin', constraints: { whitelistValidation: 'property isAdmin should not exist' } },
      { property: 'title', constraints: { isString: 'title must be a string' } },
      { property: 'part.sku', constraints: { isString: 'sku must be a string' } },
      { property: 'hasOwnProperty', constraints: { whitelistValidation: 'property hasOwnProperty should not exist' } },
    ]);
  });

  it('refuses Object.prototype names in query DTOs too (null-prototype query objects included)', () => {
    const { pipe } = pipeWith({ forbiddenKeys: ['__proto__'] });
    const query: ArgumentMetadata = { type: 'query', metatype: Search };
    for (const name of INHERITED_NAMES.filter((n) => n !== '__proto__')) {
      for (const input of [
        withOwnKey(name, 'x', { q: 'a' }),
        Object.assign(Object.create(null), { q: 'a', [name]: 'x' }),
      ]) {
        expect(caught(() => pipe.transform(input, query)).errors).toEqual([
          { property: name, constraints: { whitelistValidation: `property ${name} should not exist` } },
        ]);
      }
    }
  });

  it('strips them when forbidNonWhitelisted is off: no level of the DTO keeps one as an own key', () => {
    for (const transform of [true, false]) {
      const { pipe } = pipeWith({ forbidNonWhitelisted: false, forbiddenKeys: ['__proto__'], transform });
      for (const name of INHERITED_NAMES.filter((n) => n !== '__proto__')) {
        for (const at of WHERE) {
          fc.assert(
            fc.property(harmless, (value) => {
              const out = pipe.transform(shipmentWith(name, value, at).input, body(Shipment)) as Record<
                string,
                unknown
              >;
              const levels = [out, out.part, ...((out.parts as unknown[] | undefined) ?? [])].filter(
                Boolean,
              ) as object[];
              for (const level of levels) expect(Object.hasOwn(level, name)).toBe(false);
              expect(Object.getPrototypeOf(out)).toBe(transform ? Shipment.prototype : Object.prototype);
            }),
            { numRuns: 5 },
          );
        }
      }
    }
  });

  it('refuses a key named after a method or a read-only getter of the DTO (class-transformer drops those silently)', () => {
    class Invoice {
      @IsInt()
      amount!: number;

      get total(): number {
        return this.amount;
      }

      describe(): string {
        return `${this.amount}`;
      }
    }
    const { pipe } = pipeWith();
    for (const name of ['total', 'describe']) {
      expect(caught(() => pipe.transform({ amount: 1, [name]: 2 }, body(Invoice))).errors).toEqual([
        { property: name, constraints: { whitelistValidation: `property ${name} should not exist` } },
      ]);
    }
  });

  it('accepts declared names, near misses of prototype names and prototype names mapped with @Expose', () => {
    class Declared {
      @IsString()
      constructorName!: string;

      @IsString()
      proto!: string;

      @IsString()
      __proto!: string;

      @IsString()
      toStringTag!: string;

      @Expose({ name: 'hasOwnProperty' })
      @IsString()
      ownership!: string;
    }
    const { pipe } = pipeWith();
    const input = {
      constructorName: 'a',
      proto: 'b',
      __proto: 'c',
      toStringTag: 'd',
      ...withOwnKey('hasOwnProperty', 'e', {}),
    };
    const out = pipe.transform(input, body(Declared));
    expect(out).toBeInstanceOf(Declared);
    expect(out).toEqual({ constructorName: 'a', proto: 'b', __proto: 'c', toStringTag: 'd', ownership: 'e' });
    // The alias is the only inherited name accepted: another one next to it is still refused.
    const refused = caught(() => pipe.transform({ ...input, ...withOwnKey('isPrototypeOf', 1, {}) }, body(Declared)));
    expect(refused.errors).toEqual([
      { property: 'isPrototypeOf', constraints: { whitelistValidation: 'property isPrototypeOf should not exist' } },
    ]);
  });

  it('fails closed (500, logged once) on a DTO that declares an Object.prototype name (class-validator throws on it)', () => {
    class Named {
      @IsString()
      title!: string;
    }
    IsString()(Named.prototype, 'valueOf');
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { pipe } = pipeWith();
    for (let i = 0; i < 2; i++) {
      expect(caught(() => pipe.transform({ title: 't', valueOf: 'v' }, body(Named)))).toMatchObject({
        statusCode: 500,
        code: 'INTERNAL_ERROR',
      });
    }
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(
      expect.stringMatching(
        /Named\.valueOf is named after an Object\.prototype member.*@Expose\(\{ name: 'valueOf' \}\)/,
      ),
    );
  });
});

describe('SecurityValidationPipe with @ValidatedHeaders() input', () => {
  class Versioned {
    @IsString()
    @MinLength(3)
    xApiVersion!: string;

    @IsOptional()
    @IsString()
    'x-tenant-id'?: string;
  }

  class NamedLikeObjectPrototype {
    @IsString()
    __lookupGetter__!: string;
  }

  const custom: ArgumentMetadata = { type: 'custom', metatype: Versioned, data: undefined };

  it('reads only the declared headers, case-insensitively, into a DTO instance', () => {
    const { pipe } = pipeWith();
    const out = pipe.transform(
      new HeaderInput(Versioned, { 'x-api-version': '2025', 'x-tenant-id': 't1', 'x-other': 'x', host: 'h' }),
      custom,
    );
    expect(out).toBeInstanceOf(Versioned);
    expect(out).toEqual({ xApiVersion: '2025', 'x-tenant-id': 't1' });
  });

  it('refuses with header names in paths and messages, and emits a headers event', async () => {
    const { pipe, events } = pipeWith();
    const refused = caught(() => pipe.transform(new HeaderInput(Versioned, { 'x-api-version': 'v' }), custom));
    expect(refused).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(refused.errors).toEqual([
      {
        property: 'x-api-version',
        constraints: { minLength: 'x-api-version must be longer than or equal to 3 characters' },
      },
    ]);
    // Outside an app no exception filter takes the event from the error: it is emitted on the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(events[0]).toMatchObject({ type: 'VALIDATION_FAILED', details: { source: 'headers', target: 'Versioned' } });
  });

  it('refuses a repeated header given as an array where a string is declared', () => {
    const { pipe } = pipeWith();
    const refused = caught(() =>
      pipe.transform(new HeaderInput(Versioned, { 'x-api-version': ['2025', '2024'] }), custom),
    );
    expect(refused.errors).toEqual([expect.objectContaining({ property: 'x-api-version' })]);
  });

  it('answers a misconfigured header DTO with a generic 500', () => {
    const { pipe } = pipeWith();
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const refused = caught(() =>
      pipe.transform(new HeaderInput(NamedLikeObjectPrototype, { '__lookup-getter__': 'x' }), {
        ...custom,
        metatype: NamedLikeObjectPrototype,
      }),
    );
    expect(refused).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' });
  });

  it('passes other custom parameters through untouched', () => {
    const { pipe } = pipeWith();
    const value = { any: 'thing' };
    expect(pipe.transform(value, custom)).toBe(value);
  });
});

describe('SecurityValidationPipe string normalisation', () => {
  class Tag {
    @IsString()
    @MinLength(1)
    label!: string;
  }

  class Post {
    @IsString()
    @MinLength(1)
    title!: string;

    @IsOptional()
    @IsString({ each: true })
    words?: string[];

    @IsOptional()
    @ValidateNested({ each: true })
    @Type(() => Tag)
    tags?: Tag[];

    @IsOptional()
    @ValidateNested()
    @Type(() => Tag)
    main?: Tag;

    @IsOptional()
    @IsObject()
    meta?: Record<string, string>;
  }

  const decomposed = 'Cafe\u0301'; // "Café" as e + combining acute accent
  const composed = 'Caf\u00e9';

  it('leaves strings as sent by default', () => {
    const { pipe } = pipeWith();
    expect(pipe.transform({ title: `  ${decomposed} ` }, body(Post))).toEqual({ title: `  ${decomposed} ` });
  });

  it('trims and NFC-normalises DTO strings at every level, not plain-object values', () => {
    const { pipe } = pipeWith({ trimStrings: true, normalizeUnicode: 'NFC' });
    const out = pipe.transform(
      {
        title: `\u00a0 ${decomposed}\n`,
        words: [' a ', decomposed],
        tags: [{ label: ` ${decomposed} ` }],
        main: { label: '\tx\t' },
        meta: { note: ' kept ' },
      },
      body(Post),
    ) as Post;
    expect(out.title).toBe(composed);
    expect(out.words).toEqual(['a', composed]);
    expect(out.tags?.[0]).toBeInstanceOf(Tag);
    expect(out.tags?.[0].label).toBe(composed);
    expect(out.main?.label).toBe('x');
    expect(out.meta).toEqual({ note: ' kept ' });
  });

  it('runs before validation: a blank string fails @MinLength(1) once trimmed', () => {
    const { pipe } = pipeWith({ trimStrings: true });
    const refused = caught(() => pipe.transform({ title: '   ', tags: [{ label: ' ' }] }, body(Post)));
    expect(refused.errors).toEqual([
      expect.objectContaining({
        property: 'title',
        constraints: expect.objectContaining({ minLength: expect.any(String) }),
      }),
      expect.objectContaining({ property: 'tags.0.label' }),
    ]);
  });

  it('folds compatibility characters with NFKC', () => {
    const { pipe } = pipeWith({ normalizeUnicode: 'NFKC' });
    expect((pipe.transform({ title: '\uff21\ufb01' }, body(Post)) as Post).title).toBe('Afi');
  });

  it('hands over a normalised plain copy when transform is off', () => {
    const { pipe } = pipeWith({ trimStrings: true, transform: false, whitelist: false });
    const out = pipe.transform({ title: ' t ' }, body(Post));
    expect(out).not.toBeInstanceOf(Post);
    expect(out).toEqual({ title: 't' });
  });

  it('normalises header DTO strings too', () => {
    class Tenant {
      @IsString()
      xTenant!: string;
    }
    const { pipe } = pipeWith({ trimStrings: true });
    const out = pipe.transform(new HeaderInput(Tenant, { 'x-tenant': ' acme ' }), {
      type: 'custom',
      metatype: Tenant,
    });
    expect(out).toEqual({ xTenant: 'acme' });
  });
});
