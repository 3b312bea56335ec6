import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import type { PipeTransform } from '@nestjs/common';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { securityException } from '../core/errors/security-exception';

/**
 * The file object of `@UploadedFile()`: multer's (`buffer` or `path`, `size`, `mimetype`) or
 * `@fastify/multipart`'s (`mimetype`, `toBuffer()`).
 *
 * @publicApi
 */
export interface UploadedFileLike {
  mimetype?: string;
  size?: number;
  buffer?: Buffer;
  /** multer disk storage. */
  path?: string;
  originalname?: string;
  filename?: string;
  toBuffer?: () => Promise<Buffer>;
}

/** What an upload must satisfy. @publicApi */
export interface UploadRules {
  /** Largest accepted file, in bytes (413 beyond). */
  maxBytes: number;
  /**
   * Accepted media types. Each must be one whose content can be checked: images (`image/png`,
   * `image/jpeg`, `image/gif`, `image/webp`), `application/pdf`, `application/zip`,
   * `application/gzip`, `video/mp4`, or text (`text/plain`, `text/csv`, `application/json`).
   */
  allowedTypes: string[];
  /**
   * Whether a missing file is refused (400).
   * @default true
   */
  required?: boolean;
}

type Check = (head: Buffer, whole: Buffer | undefined) => boolean;

const bytes =
  (offset: number, ...expected: number[]): Check =>
  (head) =>
    head.length >= offset + expected.length && expected.every((b, i) => head[offset + i] === b);
const ascii = (offset: number, text: string): Check => bytes(offset, ...Buffer.from(text, 'latin1'));
const any =
  (...checks: Check[]): Check =>
  (head, whole) =>
    checks.some((c) => c(head, whole));
const all =
  (...checks: Check[]): Check =>
  (head, whole) =>
    checks.every((c) => c(head, whole));
/** Text: valid UTF-8 without NUL bytes (a binary renamed `.txt` fails). */
const text: Check = (_head, whole) => whole !== undefined && whole.indexOf(0) === -1 && isUtf8(whole);

/** Magic bytes per declared media type. */
const SIGNATURES: Record<string, Check> = {
  'image/png': bytes(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
  'image/jpeg': bytes(0, 0xff, 0xd8, 0xff),
  'image/gif': any(ascii(0, 'GIF87a'), ascii(0, 'GIF89a')),
  'image/webp': all(ascii(0, 'RIFF'), ascii(8, 'WEBP')),
  'application/pdf': ascii(0, '%PDF-'),
  'application/zip': any(bytes(0, 0x50, 0x4b, 0x03, 0x04), bytes(0, 0x50, 0x4b, 0x05, 0x06)),
  'application/gzip': bytes(0, 0x1f, 0x8b),
  'video/mp4': ascii(4, 'ftyp'),
  'text/plain': text,
  'text/csv': text,
  'application/json': text,
};
const TEXT_TYPES = new Set(['text/plain', 'text/csv', 'application/json']);
const HEAD_BYTES = 16;

/** The media type without parameters, lower-cased. */
function mediaType(value: string | undefined): string {
  if (!value) return '';
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
}

async function readHead(file: UploadedFileLike, needWhole: boolean): Promise<{ head: Buffer; whole?: Buffer }> {
  if (file.buffer) return { head: file.buffer.subarray(0, HEAD_BYTES), whole: file.buffer };
  if (file.toBuffer) {
    const whole = await file.toBuffer();
    return { head: whole.subarray(0, HEAD_BYTES), whole };
  }
  if (file.path) {
    const handle = await open(file.path, 'r');
    try {
      if (needWhole) {
        const whole = await handle.readFile();
        return { head: whole.subarray(0, HEAD_BYTES), whole };
      }
      const head = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
      return { head: head.subarray(0, bytesRead) };
    } finally {
      await handle.close();
    }
  }
  return { head: Buffer.alloc(0) };
}

/**
 * Validates an uploaded file (multer or `@fastify/multipart`): its size, its declared type
 * against the allowlist, and its content's magic bytes against the declared type, so a script
 * renamed `avatar.png` is refused. Use it as `@UploadedFile(new UploadValidationPipe({...}))`,
 * or call {@link UploadValidationPipe.check} directly. Arrays of files are checked one by one.
 *
 * @example
 * ```ts
 * @Post('avatar')
 * @UseInterceptors(FileInterceptor('file'))
 * upload(@UploadedFile(new UploadValidationPipe({ maxBytes: 2_000_000, allowedTypes: ['image/png', 'image/jpeg'] })) file: Express.Multer.File) {}
 * ```
 * @throws {BadRequestException} `VALIDATION_FAILED` when a required file is missing.
 * @throws {PayloadTooLargeException} `PAYLOAD_TOO_LARGE` when it is larger than `maxBytes`.
 * @throws {UnsupportedMediaTypeException} `UNSUPPORTED_MEDIA_TYPE` for a type not allowed or content that does not match it.
 * @publicApi
 */
export class UploadValidationPipe implements PipeTransform<unknown, Promise<unknown>> {
  private readonly maxBytes: number;
  private readonly allowed: ReadonlySet<string>;
  private readonly required: boolean;

  constructor(rules: UploadRules) {
    if (!Number.isInteger(rules.maxBytes) || rules.maxBytes < 1) {
      throw SecurityConfigError.create(
        'UploadValidationPipe.maxBytes',
        'must be a positive whole number',
        'Set e.g. 5_000_000',
      );
    }
    if (!Array.isArray(rules.allowedTypes) || rules.allowedTypes.length === 0) {
      throw SecurityConfigError.create(
        'UploadValidationPipe.allowedTypes',
        'must list at least one type',
        'Add e.g. "image/png"',
      );
    }
    for (const type of rules.allowedTypes) {
      if (!SIGNATURES[mediaType(type)]) {
        throw SecurityConfigError.create(
          'UploadValidationPipe.allowedTypes',
          `has "${type}", whose content cannot be checked`,
          `Use one of ${Object.keys(SIGNATURES).join(', ')}`,
        );
      }
    }
    this.maxBytes = rules.maxBytes;
    this.allowed = new Set(rules.allowedTypes.map(mediaType));
    this.required = rules.required ?? true;
  }

  async transform(value: unknown): Promise<unknown> {
    if (Array.isArray(value)) {
      if (value.length === 0 && this.required) throw this.missing();
      for (const file of value) await this.check(file as UploadedFileLike);
      return value;
    }
    if (value === undefined || value === null) {
      if (this.required) throw this.missing();
      return value;
    }
    await this.check(value as UploadedFileLike);
    return value;
  }

  /** Checks one file; resolves when it is acceptable. */
  async check(file: UploadedFileLike): Promise<void> {
    if (typeof file !== 'object' || file === null) throw this.missing();
    if (typeof file.size === 'number' && file.size > this.maxBytes) throw this.tooLarge();
    const type = mediaType(file.mimetype);
    if (!this.allowed.has(type)) throw this.badType('File type not allowed');
    const { head, whole } = await readHead(file, TEXT_TYPES.has(type));
    const size = whole?.length ?? file.size;
    if (size === undefined || size > this.maxBytes) throw this.tooLarge();
    if (!SIGNATURES[type](head, whole)) throw this.badType('File content does not match its type');
  }

  private missing() {
    return securityException(400, SecurityErrorCode.VALIDATION_FAILED, 'Validation failed', {
      errors: [{ property: 'file', constraints: { isDefined: 'file is required' } }],
    });
  }

  private tooLarge() {
    return securityException(413, SecurityErrorCode.PAYLOAD_TOO_LARGE, 'File is too large');
  }

  private badType(message: string) {
    return securityException(415, SecurityErrorCode.UNSUPPORTED_MEDIA_TYPE, message);
  }
}
