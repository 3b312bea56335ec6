import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { docFiles, ROOT } from './doc-blocks';

/** Every relative link of README.md and docs/ points to a file that exists, and to a heading of it. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

const links = docFiles().flatMap((file) => {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => [file, href] as const);
});

it('finds the links', () => {
  expect(links.length).toBeGreaterThan(20);
});

it.each(links)('%s → %s', (file, href) => {
  const [path, anchor] = href.split('#');
  const target = path ? normalize(join(dirname(file), path)) : file;
  expect(existsSync(join(ROOT, target))).toBe(true);
  if (anchor && target.endsWith('.md')) expect([...anchors(target)]).toContain(anchor);
});
