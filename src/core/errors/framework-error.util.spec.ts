import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { frameworkErrorAnswer } from './framework-error.util';

const parseError = () =>
  Object.assign(new SyntaxError('Unexpected token } in JSON at position 12: "hunter2"'), { status: 400 });

describe('frameworkErrorAnswer', () => {
  it.each<[string, HttpException, string | undefined, object | undefined]>([
    [
      'the not-found handler',
      new NotFoundException('Cannot GET /admin/secret'),
      'GET',
      { code: 'NOT_FOUND', message: 'Resource not found' },
    ],
    ['an app 404 with its own words', new NotFoundException('Cannot find user'), 'GET', undefined],
    ['an app 404 for another method', new NotFoundException('Cannot GET /x'), 'POST', undefined],
    [
      'Express JSON parse error',
      new BadRequestException(parseError().message, { cause: parseError() }),
      'POST',
      { code: 'MALFORMED_BODY' },
    ],
    [
      'Express bad URL parameter',
      new BadRequestException("Failed to decode param '%ff'", {
        cause: Object.assign(new URIError('x'), { status: 400 }),
      }),
      'GET',
      { code: 'BAD_REQUEST', message: 'Malformed request URL' },
    ],
    [
      'body-parser 415',
      new HttpException('unsupported charset "KOI8-R"', 415, {
        cause: Object.assign(new Error('x'), { statusCode: 415, type: 'charset.unsupported' }),
      }),
      'POST',
      { code: 'UNSUPPORTED_MEDIA_TYPE' },
    ],
    [
      'Fastify 413',
      new HttpException('Request body is too large', 413, {
        cause: Object.assign(new Error('x'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }),
      }),
      'POST',
      { code: 'PAYLOAD_TOO_LARGE' },
    ],
    ['an app 400 without a framework cause', new BadRequestException('Email already taken'), 'POST', undefined],
    [
      'an app 400 caused by its own error',
      new BadRequestException('Bad input', { cause: new Error('db') }),
      'POST',
      undefined,
    ],
  ])('%s', (_name, exception, method, expected) => {
    const answer = frameworkErrorAnswer(exception, method);
    if (expected === undefined) expect(answer).toBeUndefined();
    else expect(answer).toMatchObject(expected);
  });
});
