import type { ResolveContext } from '../core/options/core.options';
import { resolveValidationOptions } from './validation.options';

const ctx: ResolveContext = { profile: 'production', isTrustedProxy: () => false };

describe('resolveValidationOptions', () => {
  it('defaults to the safe preset', () => {
    const o = resolveValidationOptions(undefined, ctx);
    expect(o).toMatchObject({
      enabled: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      maxPayloadBytes: 1_048_576,
      bodyTimeoutMs: 30_000,
      maxDepth: 32,
      forbiddenKeys: ['__proto__', 'constructor', 'prototype'],
      maxStringLength: 10_000,
      maxArrayLength: 1_000,
      pagination: { defaultLimit: 20, maxLimit: 100, maxOffset: 100_000 },
      errorStatus: 400,
      trimStrings: false,
      normalizeUnicode: false,
      maxQueryLength: 2048,
      maxQueryParameters: 100,
    });
    expect(o.allowedContentTypes).toEqual([
      { type: 'application/json' },
      { type: 'application', suffix: '+json' },
      { type: 'multipart/form-data' },
    ]);
    expect(o.sensitiveField.test('newPassword')).toBe(true);
    expect(o.sensitiveField.test('shippingAddress')).toBe(false);
  });

  it('compiles extra sensitive fields and turns default bounds off with false', () => {
    const o = resolveValidationOptions({ sensitiveFields: ['dob'], maxStringLength: false }, ctx);
    expect(o.sensitiveField.test('DOB')).toBe(true);
    expect(o.maxStringLength).toBe(false);
  });

  it.each([
    [{ maxPayloadBytes: -1 }, /validation\.maxPayloadBytes must be at least 1/],
    [{ maxPayloadBytes: '1mb' }, /validation\.maxPayloadBytes must be a finite number/],
    [{ bodyTimeoutMs: 0 }, /validation\.bodyTimeoutMs must be at least 1 ms/],
    [{ bodyTimeoutMs: 1.5 }, /validation\.bodyTimeoutMs must be a whole number/],
    [{ bodyTimeoutMs: '30s' }, /validation\.bodyTimeoutMs must be a finite number/],
    [{ maxDepth: 0 }, /validation\.maxDepth must be at least 1/],
    [{ whitelist: 'yes' }, /validation\.whitelist must be true or false/],
    [{ forbidNonWhitelisted: 1 }, /validation\.forbidNonWhitelisted must be true or false/],
    [{ whitlist: true }, /validation\.whitlist is not a known option\. Did you mean "validation\.whitelist"/],
    [{ forbiddenKeys: ['constructor'] }, /must keep "__proto__"/],
    [{ allowedContentTypes: [] }, /allowedContentTypes is empty/],
    [{ allowedContentTypes: ['json'] }, /"json" is not a media type/],
    [{ maxStringLength: true }, /maxStringLength must be a number or false/],
    [{ pagination: { defaultLimit: 50, maxLimit: 10 } }, /pagination\.defaultLimit \(50\) is larger than maxLimit/],
    [{ pagination: { max: 10 } }, /pagination\.max is not a known option/],
    [{ exceptionFactory: 'nope' }, /exceptionFactory must be a function/],
    [{ errorStatus: 422 }, null],
    [{ trimStrings: true, normalizeUnicode: 'NFKC', maxQueryLength: 500, maxQueryParameters: false }, null],
    [{ trimStrings: 'yes' }, /validation\.trimStrings must be true or false/],
    [
      { normalizeUnicode: 'nfc' },
      /validation\.normalizeUnicode must be one of "NFC", "NFKC", got "nfc"\. Did you mean "NFC"/,
    ],
    [{ normalizeUnicode: true }, /validation\.normalizeUnicode must be one of/],
    [{ maxQueryLength: 0 }, /validation\.maxQueryLength must be at least 1/],
    [{ maxQueryLength: true }, /validation\.maxQueryLength must be a number or false/],
    [{ maxQueryParameters: 1.5 }, /validation\.maxQueryParameters must be a whole number/],
    [{ errorStatus: 418 }, /validation\.errorStatus must be 400 or 422, got 418\. Use 400/],
    [{ errorStatus: '422' }, /validation\.errorStatus must be 400 or 422/],
    [Object.create(null) as object, null],
    [[], /validation must be an object/],
  ])('validates %p', (input, error) => {
    if (error === null) expect(() => resolveValidationOptions(input, ctx)).not.toThrow();
    else expect(() => resolveValidationOptions(input, ctx)).toThrow(error);
  });
});
