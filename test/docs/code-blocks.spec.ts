import { dirname, join } from 'node:path';
import { parse } from 'graphql';
import * as ts from 'typescript';
import { blockPath, docFiles, readBlocks, ROOT, type DocBlock } from './doc-blocks';

/**
 * Every ```ts block of README.md and docs/*.md type-checks against the repository: one program
 * over all blocks as virtual files (each page's blocks in one folder, so `./app.module` resolves
 * to the page's block named `// app.module.ts`), `nestjs-rampart` mapped to src/index.ts.
 */
const LANGS = new Set(['ts', 'typescript', 'graphql', 'bash', 'json', 'yaml', 'text', 'http']);
const VIRTUAL = join(ROOT, '.docs-check');

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, configPath);
  return {
    ...parsed.options,
    noEmit: true,
    types: ['node'], // a reader's app has no Jest globals
    paths: { 'nestjs-rampart': ['./src/index.ts'] },
  };
}

/** An import or export makes the block a module, so blocks never clash in the global scope. */
function asModule(code: string): string {
  return /^\s*(import|export)\s/m.test(code) ? code : `${code}\nexport {};\n`;
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let d = dirname(path); d.startsWith(VIRTUAL); d = dirname(d)) out.push(d);
  return out;
}

describe('documentation code blocks', () => {
  const blocks = docFiles().flatMap(readBlocks);
  const tsBlocks = blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript');

  it('tags every fence with a language the tests know', () => {
    const untagged = blocks.filter((b) => !LANGS.has(b.lang)).map((b) => `${b.file}:${b.line} \`\`\`${b.lang}`);
    expect(untagged).toEqual([]);
  });

  it('parses every GraphQL block', () => {
    const broken = blocks
      .filter((b) => b.lang === 'graphql')
      .flatMap((b) => {
        try {
          parse(b.code);
          return [];
        } catch (error) {
          return [`${b.file}:${b.line} ${(error as Error).message}`];
        }
      });
    expect(broken).toEqual([]);
  });

  it('finds the TypeScript blocks of README.md and docs/', () => {
    expect(tsBlocks.length).toBeGreaterThan(30);
    expect(new Set(tsBlocks.map((b) => b.file))).toContain('README.md');
  });

  it('type-checks every TypeScript block', () => {
    const files = new Map<string, DocBlock>();
    for (const block of tsBlocks) {
      const path = blockPath(VIRTUAL, block);
      const clash = files.get(path);
      if (clash) throw new Error(`${block.file}:${block.line} reuses the file name of line ${clash.line}`);
      files.set(path, block);
    }
    const options = compilerOptions();
    const host = ts.createCompilerHost(options);
    const { fileExists, readFile, getSourceFile } = host;
    const dirs = new Set([...files.keys()].flatMap((p) => ancestors(p)));
    host.fileExists = (p) => files.has(p) || fileExists.call(host, p);
    host.directoryExists = (d) => dirs.has(d) || ts.sys.directoryExists(d);
    host.readFile = (p) => (files.has(p) ? asModule(files.get(p)!.code) : readFile.call(host, p));
    host.getSourceFile = (p, language, onError, create) => {
      const block = files.get(p);
      return block
        ? ts.createSourceFile(p, asModule(block.code), language, true)
        : getSourceFile.call(host, p, language, onError, create);
    };
    const program = ts.createProgram([...files.keys()], options, host);

    const failures: string[] = [];
    for (const [path, block] of files) {
      const source = program.getSourceFile(path)!;
      const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
      for (const d of diagnostics) {
        const { line } = source.getLineAndCharacterOfPosition(d.start ?? 0);
        failures.push(`${block.file}:${block.line + 1 + line} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
