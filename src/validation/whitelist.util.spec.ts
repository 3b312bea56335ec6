import { Type, plainToInstance } from 'class-transformer';
import { IsOptional, IsString, ValidateNested } from 'class-validator';
import fc from 'fast-check';
import { loadValidationPeers } from './class-validator.loader';
import { compileDtoPlan, type Ctor, type DtoPlan } from './dto-plan.util';
import { checkWhitelist, type WhitelistMode } from './whitelist.util';

class Leaf {
  @IsString()
  name!: string;
}

class Tree {
  @IsString()
  title!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => Leaf)
  leaf?: Leaf;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Leaf)
  leaves?: Leaf[];

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Leaf)
  byKey?: Map<string, Leaf>;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Leaf)
  unique?: Set<Leaf>;

  /** Checked with @ValidateNested() but never given a class: class-transformer leaves a plain object. */
  @IsOptional()
  @ValidateNested()
  untyped?: Leaf;
}

const peers = loadValidationPeers();
const planOf = (ctor: Ctor): DtoPlan => compileDtoPlan(ctor, peers, {});
const INHERITED_NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])];

/** What the pipe does: class-transformer first, then the whitelist check on both sides. */
function check(plain: Record<string, unknown>, mode: WhitelistMode = 'forbid', maxDepth = 32) {
  const instance = plainToInstance(Tree, plain);
  return { instance, found: checkWhitelist(plain, instance, planOf, mode, maxDepth) };
}

/** `{ [name]: 1, ...rest }` with `name` as an own key (JSON.parse keeps `__proto__` as one). */
function withOwnKey(name: string, rest: Record<string, unknown>): Record<string, unknown> {
  return { ...(JSON.parse(`{${JSON.stringify(name)}:1}`) as object), ...rest };
}

describe('checkWhitelist', () => {
  it('finds nothing in a body that only has declared properties, at every level', () => {
    const { found } = check({
      title: 't',
      leaf: { name: 'a' },
      leaves: [{ name: 'b' }],
      byKey: { k: { name: 'c' } },
      unique: [{ name: 'd' }],
    });
    expect(found).toEqual({ undeclared: [], untyped: [], misconfigured: [] });
  });

  it.each(INHERITED_NAMES)('finds %s (a JSON own key) on every level and in every container', (name) => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 2 }), (value) => {
        // Spread would drop a __proto__ own key: build the nested objects through JSON.parse too.
        const own = `${JSON.stringify(name)}:${JSON.stringify(value)}`;
        const leaf = (rest: Record<string, unknown>) =>
          JSON.parse(`{${own},${JSON.stringify(rest).slice(1)}`) as Record<string, unknown>;
        const plain = leaf({ title: 't' });
        plain.leaf = leaf({ name: 'a' });
        plain.leaves = [{ name: 'b' }, leaf({ name: 'c' })];
        plain.byKey = { k: leaf({ name: 'd' }) };
        plain.unique = [leaf({ name: 'e' })];
        const { found } = check(plain);
        expect(found.undeclared).toEqual([
          { path: name, key: name },
          { path: `leaf.${name}`, key: name },
          { path: `leaves.1.${name}`, key: name },
          { path: `byKey.k.${name}`, key: name },
          { path: `unique.0.${name}`, key: name },
        ]);
        expect(found.untyped).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('finds an inherited name that is an own key of the instance, and deletes it when stripping', () => {
    for (const name of INHERITED_NAMES) {
      const instance = plainToInstance(Tree, { title: 't', leaf: { name: 'a' } });
      Object.defineProperty(instance.leaf!, name, { value: 1, enumerable: true, configurable: true, writable: true });
      expect(checkWhitelist({}, instance, planOf, 'forbid', 32).undeclared).toEqual([
        { path: `leaf.${name}`, key: name },
      ]);
      expect(checkWhitelist({}, instance, planOf, 'strip', 32).undeclared).toEqual([]);
      expect(Object.hasOwn(instance.leaf!, name)).toBe(false);
    }
  });

  it('records nothing and deletes nothing with the whitelist off', () => {
    const { instance, found } = check({ ...withOwnKey('isPrototypeOf', { title: 't' }), extra: 1 }, 'off');
    expect(found.undeclared).toEqual([]);
    expect((instance as unknown as Record<string, unknown>).extra).toBe(1);
  });

  it('names a @ValidateNested() property without @Type() (a plain object), in any mode', () => {
    for (const mode of ['forbid', 'strip', 'off'] as const) {
      expect(check({ title: 't', untyped: { name: 'a' } }, mode).found.untyped).toEqual(['Tree.untyped']);
    }
  });

  it('reports a path nested deeper than maxDepth', () => {
    expect(check({ title: 't', leaves: [{ name: 'a' }] }, 'forbid', 2).found.tooDeep).toBe('leaves.0');
    expect(check({ title: 't', leaves: [{ name: 'a' }] }, 'forbid', 3).found.tooDeep).toBeUndefined();
  });
});
