import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/** One fenced code block of a Markdown file. */
export interface DocBlock {
  /** Repo-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's info string (`ts`, `bash`...), '' when absent. */
  lang: string;
  code: string;
  /** The `## ` heading the block sits under ('' before the first one). */
  section: string;
  /**
   * The file name a TypeScript block gives itself in a first-line comment (`// src/app.module.ts`),
   * so blocks of one page can import each other (`./app.module`).
   */
  name?: string;
}

/** README.md and every page of docs/, in a stable order. */
export function docFiles(): string[] {
  const pages = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...pages];
}

const FENCE = /^(`{3,}|~{3,})\s*([\w+-]*)[^`]*$/;
const NAME = /^\/\/ ([\w./-]+\.ts)\s*$/;

/** The fenced blocks of one Markdown file. */
export function readBlocks(file: string): DocBlock[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) {
      if (lines[i].startsWith('## ')) section = lines[i].slice(3).trim();
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].startsWith(open[1])) body.push(lines[j++]);
    const named = NAME.exec(body[0] ?? '');
    blocks.push({ file, line: i + 1, lang: open[2], code: body.join('\n'), section, name: named?.[1] });
    i = j;
  }
  return blocks;
}

/** The TypeScript blocks of a file. */
export function tsBlocks(file: string): DocBlock[] {
  return readBlocks(file).filter((b) => b.lang === 'ts' || b.lang === 'typescript');
}

/** Where a TypeScript block lives as a file: one folder per page, so relative imports between its blocks resolve. */
export function blockPath(base: string, block: DocBlock): string {
  const page = block.file.replace(/\.md$/, '').replace(/\//g, '-');
  return join(base, page, block.name ?? `block-L${block.line}.ts`);
}

/**
 * Writes the TypeScript blocks of a page under `<root>/.docs-generated/<folder>/` (inside the
 * repository, so their imports resolve against its node_modules and Jest's `nestjs-rampart`
 * mapping) and returns the folder; remove it with {@link removeGenerated}.
 */
export function writeBlocks(folder: string, file: string): string {
  const base = join(ROOT, '.docs-generated', folder);
  for (const block of tsBlocks(file)) {
    const path = blockPath(base, block);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, block.code);
  }
  return join(base, file.replace(/\.md$/, '').replace(/\//g, '-'));
}

export function removeGenerated(folder: string): void {
  rmSync(join(ROOT, '.docs-generated', folder), { recursive: true, force: true });
}
