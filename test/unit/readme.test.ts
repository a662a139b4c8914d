// The README and the docs stay true: the settings table is the settings' own, the build they document is the
// one the Dockerfile runs, and every link between them leads somewhere.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { configurationDoc, configurationWithSettings } from '../../scripts/generate.js';
import { repoRoot } from '../../scripts/repo-root.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const readme = read('README.md');
const operating = read('docs/OPERATING.md');
const dockerfile = read('Dockerfile');
const documents = ['README.md', ...readdirSync(join(repoRoot, 'docs')).map((name) => `docs/${name}`)].filter(
  (path) => path.endsWith('.md'),
);

/** The first capture group of every match: it always takes part, so it is always a string. */
function captures(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((match) => match[1] as string);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

describe('README.md and docs/', () => {
  it('have the current configuration table', () => {
    const doc = read(configurationDoc);
    assert.equal(configurationWithSettings(doc), doc, 'the table is stale: run `npm run generate`');
  });

  it('document the build steps the Dockerfile runs', () => {
    assert.match(
      operating,
      /npm ci && npm run build && npm run build:haproxy-template && node dist\/main\.js/,
    );
    for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev']) {
      assert.ok(dockerfile.includes(`RUN ${step}`), `the Dockerfile runs ${step}`);
      assert.ok(operating.includes(step), `docs/OPERATING.md mentions ${step}`);
    }
  });

  it('name the two set-up commands, and .ci/run calls the test one', () => {
    assert.match(readme, /`npm start`/);
    assert.match(readme, /`npm test`/);
    assert.match(read('.ci/run'), /^npm test$/m);
  });

  it('link only to files and headings that exist', () => {
    for (const document of documents) {
      for (const target of captures(read(document), /\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path, fragment] = target.split('#');
        const linked = path ? join(dirname(document), path) : document;
        assert.ok(existsSync(join(repoRoot, linked)), `${document} links to ${target}, which does not exist`);
        if (fragment === undefined) continue;
        const headings = captures(read(linked), /^#+ (.+)$/gm).map(anchor);
        assert.ok(headings.includes(fragment), `${document} links to ${target}, a heading ${linked} lacks`);
      }
    }
  });
});
