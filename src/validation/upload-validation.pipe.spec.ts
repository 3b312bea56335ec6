import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadValidationPipe, type UploadedFileLike } from './upload-validation.pipe';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 1)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(32, 2)]);
const PDF = Buffer.from('%PDF-1.7\n...');
const SCRIPT = Buffer.from('<?php system($_GET["c"]); ?>');

const pipe = new UploadValidationPipe({
  maxBytes: 1024,
  allowedTypes: ['image/png', 'image/jpeg', 'application/pdf', 'text/plain'],
});

async function status(file: unknown, p = pipe): Promise<number | 'ok'> {
  try {
    await p.transform(file);
    return 'ok';
  } catch (error) {
    return (error as { getStatus(): number }).getStatus();
  }
}

const multer = (buffer: Buffer, mimetype: string): UploadedFileLike => ({
  buffer,
  size: buffer.length,
  mimetype,
  originalname: 'f',
});

describe('UploadValidationPipe', () => {
  it.each([
    ['a PNG', multer(PNG, 'image/png')],
    ['a JPEG with a charset-less type in upper case', multer(JPEG, 'IMAGE/JPEG')],
    ['a PDF', multer(PDF, 'application/pdf')],
    ['UTF-8 text', multer(Buffer.from('héllo wörld\n'), 'text/plain; charset=utf-8')],
  ])('accepts %s', async (_name, file) => {
    expect(await status(file)).toBe('ok');
  });

  it.each([
    ['a script renamed .png', multer(SCRIPT, 'image/png'), 415],
    ['a JPEG declared as PNG', multer(JPEG, 'image/png'), 415],
    ['a PDF declared as text', multer(PDF.subarray(0, 5), 'image/jpeg'), 415],
    ['binary declared as text', multer(Buffer.from([0x41, 0x00, 0x42]), 'text/plain'), 415],
    ['invalid UTF-8 declared as text', multer(Buffer.from([0xc3, 0x28]), 'text/plain'), 415],
    ['a type not allowed', multer(PNG, 'image/svg+xml'), 415],
    ['no type', multer(PNG, ''), 415],
    ['a file over maxBytes', multer(Buffer.concat([PNG, Buffer.alloc(2000)]), 'image/png'), 413],
    [
      'a file lying about its size',
      { buffer: Buffer.concat([PNG, Buffer.alloc(2000)]), size: 10, mimetype: 'image/png' },
      413,
    ],
    ['no file', undefined, 400],
  ])('refuses %s with %s', async (_name, file, expected) => {
    expect(await status(file)).toBe(expected);
  });

  it('checks @fastify/multipart files through toBuffer()', async () => {
    expect(await status({ mimetype: 'image/png', toBuffer: async () => PNG })).toBe('ok');
    expect(await status({ mimetype: 'image/png', toBuffer: async () => SCRIPT })).toBe(415);
  });

  it('checks multer disk-storage files by reading their first bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upload-'));
    writeFileSync(join(dir, 'a'), PNG);
    writeFileSync(join(dir, 'b'), SCRIPT);
    expect(await status({ path: join(dir, 'a'), size: PNG.length, mimetype: 'image/png' })).toBe('ok');
    expect(await status({ path: join(dir, 'b'), size: SCRIPT.length, mimetype: 'image/png' })).toBe(415);
  });

  it('checks every file of an array, and lets an optional file be absent', async () => {
    expect(await status([multer(PNG, 'image/png'), multer(SCRIPT, 'image/jpeg')])).toBe(415);
    const optional = new UploadValidationPipe({ maxBytes: 10, allowedTypes: ['image/png'], required: false });
    expect(await status(undefined, optional)).toBe('ok');
  });

  it.each([
    [{ maxBytes: 0, allowedTypes: ['image/png'] }, /maxBytes must be a positive whole number/],
    [{ maxBytes: 10, allowedTypes: [] }, /must list at least one type/],
    [{ maxBytes: 10, allowedTypes: ['image/svg+xml'] }, /"image\/svg\+xml", whose content cannot be checked/],
  ])('refuses unsafe rules %p at construction', (rules, error) => {
    expect(() => new UploadValidationPipe(rules)).toThrow(error);
  });
});
