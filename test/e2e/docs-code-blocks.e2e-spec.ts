import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

/**
 * Every ```ts block of docs/*.md compiles against the public API (`nestjs-rampart` maps to
 * src/index.ts, as in tsconfig.json) plus Nest, @nestjs/swagger and class-validator. Each block is
 * its own module; a block that does not compile fails with its file, block number and message.
 */
const ROOT = join(__dirname, '..', '..');
const DOCS = join(ROOT, 'docs');
const OUT = join(ROOT, 'test', '.docs-blocks');

function blocks(): Array<{ doc: string; index: number; code: string }> {
  const found: Array<{ doc: string; index: number; code: string }> = [];
  for (const doc of readdirSync(DOCS).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(DOCS, doc), 'utf8');
    let index = 0;
    for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) found.push({ doc, index: index++, code: match[1] });
  }
  return found;
}

describe('docs/*.md ts code blocks', () => {
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  it('compile against the public API', () => {
    const all = blocks();
    expect(all.length).toBeGreaterThan(0);
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const files = all.map(({ doc, index, code }) => {
      const file = join(OUT, `${doc.replace(/\.md$/, '')}-${index}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      return file;
    });
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (f) => ts.sys.readFile(f));
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    const program = ts.createProgram(files, { ...parsed.options, noEmit: true, noUnusedLocals: false });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.includes(d.file.fileName))
      .map((d) => `${relative(ROOT, d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });
});
