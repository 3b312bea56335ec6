import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DocBlock } from './doc-blocks';

/** The address the docs' curl examples use; the tests replace it with the server they boot. */
export const DOC_BASE = 'http://127.0.0.1:3000';

/** One runnable line of a ```bash block: a documented request, or a variable taken from one. */
export interface CurlStep {
  line: number;
  command: string;
  /**
   * `TOKEN=$(curl … | node -pe '….accessToken')`: the variable and the JSON property it takes; or
   * `CODE=$(node -pe '…')` (`property` empty): a value computed locally, e.g. a TOTP code.
   */
  assign?: { name: string; property: string };
  /**
   * From the `# → 401 CODE …` comment (same line or the next): the status, any error codes named,
   * and any `Header-Name: value` (checked in the output of `curl -i` / `-I`).
   */
  expect?: { status: number; codes: string[]; headers: Array<[string, string]> };
  /** The command prints the response headers (`-i`, `-I`). */
  showsHeaders: boolean;
}

export interface StepResult {
  step: CurlStep;
  status: number;
  body: string;
}

const ASSIGN = /^([A-Z_][A-Z0-9_]*)=\$\((curl .*)\)\s*$/;
const LOCAL_ASSIGN = /^([A-Z_][A-Z0-9_]*)=\$\(node -pe '[^']*'\)\s*$/;
/** Where `node -pe` finds the packages the docs' local commands require (the reader's app has them too). */
const NODE_PATH = join(__dirname, '..', '..', 'node_modules');
const EXPECT = /#\s*→\s*(\d{3})(.*)$/;
const CODE = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;
const HEADER = /\b([A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]*)*): ([^\s,)]+)/g;
const SHOWS_HEADERS = /\s-(?:[a-zA-Z]*[iI][a-zA-Z]*)\b|\s--(?:include|head)\b/;

function expectation(comment: string | undefined): CurlStep['expect'] {
  const match = comment ? EXPECT.exec(comment) : null;
  if (!match) return undefined;
  const headers = [...match[2].matchAll(HEADER)].map((m): [string, string] => [m[1], m[2]]);
  return { status: Number(match[1]), codes: match[2].match(CODE) ?? [], headers };
}

/** The curl lines of a ```bash block, with what each one documents. */
export function curlSteps(block: DocBlock): CurlStep[] {
  const lines = block.code.split('\n');
  const steps: CurlStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trim();
    const local = LOCAL_ASSIGN.exec(text);
    if (local) {
      steps.push({
        line: block.line + 1 + i,
        command: text,
        assign: { name: local[1], property: '' },
        showsHeaders: false,
      });
      continue;
    }
    const assign = ASSIGN.exec(text);
    if (assign) {
      const property = /\.(\w+)'\s*$/.exec(assign[2])?.[1];
      if (!property) throw new Error(`${block.file}:${block.line + 1 + i} cannot tell which property is read`);
      steps.push({
        line: block.line + 1 + i,
        command: text,
        assign: { name: assign[1], property },
        showsHeaders: false,
      });
      continue;
    }
    if (!text.startsWith('curl ')) continue;
    const hash = text.search(/\s#\s*→/);
    const command = hash === -1 ? text : text.slice(0, hash).trim();
    const comment = hash === -1 ? lines[i + 1]?.trim() : text.slice(hash);
    steps.push({
      line: block.line + 1 + i,
      command,
      expect: expectation(comment),
      showsHeaders: SHOWS_HEADERS.test(command),
    });
  }
  return steps;
}

const run = promisify(execFile);

/**
 * Runs the steps with the curl binary, in one bash process (so variables carry over). Asynchronous:
 * the server under test runs in this process.
 */
export async function runWithCurl(steps: CurlStep[], base: string): Promise<StepResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-docs-curl-'));
  try {
    const script = ['set -eu', `cd ${JSON.stringify(dir)}`];
    steps.forEach((step, i) => {
      const command = step.command.split(DOC_BASE).join(base);
      if (step.assign) script.push(command);
      else {
        const run = command.replace(/^curl /, `curl -o ${i}.body -w '%{http_code}' `);
        script.push(`echo "@@${i} $(${run})"`);
      }
    });
    const env = { ...process.env, NODE_PATH, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    const { stdout: out } = await run('bash', ['-c', script.join('\n')], { env, encoding: 'utf8', timeout: 60_000 });
    const statuses = new Map([...out.matchAll(/^@@(\d+) (\d{3})$/gm)].map((m) => [Number(m[1]), Number(m[2])]));
    return steps.flatMap((step, i) =>
      step.assign ? [] : [{ step, status: statuses.get(i) ?? 0, body: readFileSync(join(dir, `${i}.body`), 'utf8') }],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits a shell command line into words: '…' literal, "…" with $VAR expansion, bare words. */
export function shellWords(command: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  const expand = (s: string) => s.replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, name: string) => vars[name] ?? '');
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const end = command.indexOf('"', i + 1);
      word = (word ?? '') + expand(command.slice(i + 1, end));
      i = end;
    } else if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '$') {
      const name = /^\$([A-Z_][A-Z0-9_]*)/.exec(command.slice(i))![1];
      word = (word ?? '') + (vars[name] ?? '');
      i += name.length;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

/** The request a curl command line describes (the options the docs use). */
export function parseCurl(command: string, vars: Record<string, string>): { url: string; init: RequestInit } {
  const words = shellWords(command, vars);
  if (words[0] !== 'curl') throw new Error(`not a curl command: ${command}`);
  const headers: Record<string, string> = {};
  let method: string | undefined;
  let body: string | undefined;
  let url: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === '-X' || w === '--request') method = words[++i];
    else if (w === '-H' || w === '--header') {
      const h = words[++i];
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    } else if (w === '-d' || w === '--data' || w === '--data-raw') body = words[++i];
    else if (w === '-I' || w === '--head') method = 'HEAD';
    else if (/^-[siS]+$/.test(w) || w === '--silent' || w === '--include') continue;
    else if (w.startsWith('-')) throw new Error(`curl option ${w} is not understood by the fetch runner`);
    else url = w;
  }
  if (!url) throw new Error(`no URL in ${command}`);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded'; // what curl -d sends
  }
  return { url, init: { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body } };
}

/** Runs the steps with fetch, for machines without curl. */
export async function runWithFetch(steps: CurlStep[], base: string): Promise<StepResult[]> {
  const vars: Record<string, string> = {};
  const results: StepResult[] = [];
  for (const step of steps) {
    const command = step.command.split(DOC_BASE).join(base);
    if (step.assign?.property === '') {
      vars[step.assign.name] = execFileSync('bash', ['-c', `${command}\nprintf %s "$${step.assign.name}"`], {
        env: { ...process.env, NODE_PATH },
        encoding: 'utf8',
      });
      continue;
    }
    const curl = step.assign ? /\$\((curl .*?)\s*\|/.exec(command)![1] : command;
    const { url, init } = parseCurl(curl, vars);
    const res = await fetch(url, init);
    let body = await res.text();
    if (step.showsHeaders) {
      const head = [...res.headers].map(([name, value]) => `${name}: ${value}`).join('\r\n');
      body = `HTTP/1.1 ${res.status}\r\n${head}\r\n\r\n${body}`;
    }
    if (step.assign)
      vars[step.assign.name] = String((JSON.parse(body) as Record<string, unknown>)[step.assign.property]);
    else results.push({ step, status: res.status, body });
  }
  return results;
}
