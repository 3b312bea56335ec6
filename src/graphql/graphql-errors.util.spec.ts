import { ForbiddenException, InternalServerErrorException } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { securityException } from '../core/errors/security-exception';
import { statusOf, toClientError } from './graphql-errors.util';

/** How graphql-js wraps what a resolver throws. */
const fromResolver = (thrown: unknown) =>
  new GraphQLError(thrown instanceof Error ? thrown.message : 'x', {
    path: ['a', 0, 'b'],
    originalError: thrown as Error,
  });

describe('toClientError', () => {
  it('gives HttpExceptions from guards their library code, status and safe extras', () => {
    const error = fromResolver(
      securityException(429, 'RATE_LIMITED', 'Too many requests', { retryAfter: 7, secret: 's' }),
    );
    expect(toClientError(error, true)).toEqual({
      message: 'Too many requests',
      path: ['a', 0, 'b'],
      extensions: { code: 'RATE_LIMITED', status: 429, retryAfter: 7 },
    });
    expect(toClientError(fromResolver(new ForbiddenException()), true).extensions).toEqual({
      code: 'FORBIDDEN',
      status: 403,
    });
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a database error', Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' })],
    ['a foreign 5xx HttpException', new InternalServerErrorException('pool exhausted at db-3')],
    ['a thrown string (graphql-js wraps it)', new Error('Unexpected error value: "boom"')],
  ])('masks %s', (_name, thrown) => {
    const shown = toClientError(fromResolver(thrown), true);
    expect(shown).toEqual({
      message: 'Internal server error',
      path: ['a', 0, 'b'],
      extensions: { code: 'INTERNAL_ERROR' },
    });
  });

  it('keeps a GraphQLError built on purpose, without stack traces or foreign extensions', () => {
    const own = new GraphQLError('Not yours', {
      extensions: { code: 'NOT_FOUND', stacktrace: ['at x'], exception: {} },
    });
    expect(toClientError(fromResolver(own), true)).toEqual({
      message: 'Not yours',
      path: ['a', 0, 'b'],
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('codes parser and validation errors, the token limit, and strips suggestions when asked', () => {
    expect(toClientError(new GraphQLError('Syntax Error: Expected Name, found "}".'), true).extensions.code).toBe(
      'GRAPHQL_PARSE_FAILED',
    );
    const tokens = new GraphQLError('Syntax Error: Document contains more than 2000 tokens. Parsing aborted.');
    expect(toClientError(tokens, true)).toEqual({
      message: 'Document has too many tokens',
      extensions: { code: 'GRAPHQL_TOKEN_LIMIT' },
    });
    const typo = new GraphQLError('Cannot query field "nme" on type "User". Did you mean "name"?');
    expect(toClientError(typo, false)).toEqual({
      message: 'Cannot query field "nme" on type "User".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(toClientError(typo, true).message).toContain('Did you mean "name"?');
  });

  it('never maps to a 5xx status', () => {
    expect(statusOf({ message: '', extensions: { code: 'INTERNAL_ERROR' } })).toBe(200);
    expect(statusOf({ message: '', extensions: { code: 'X', status: 503 } })).toBe(400);
    expect(statusOf({ message: '', extensions: { code: 'X', status: 429 } })).toBe(429);
  });
});
