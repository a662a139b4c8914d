// The README stays true: its configuration table is the settings' own, and the build it documents is the
// one the Dockerfile runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readmeWithSettings } from '../../scripts/generate.js';
import { repoRoot } from '../support/stack.js';

const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
const dockerfile = readFileSync(`${repoRoot}/Dockerfile`, 'utf8');

describe('README.md', () => {
  it('has the current configuration table', () => {
    assert.equal(readmeWithSettings(readme), readme, 'the table is stale: run `npm run generate`');
  });

  it('documents the build steps the Dockerfile runs', () => {
    assert.match(readme, /npm ci && npm run build && npm run build:haproxy-template && node dist\/main\.js/);
    for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev']) {
      assert.ok(dockerfile.includes(`RUN ${step}`), `the Dockerfile runs ${step}`);
      assert.ok(readme.includes(step), `the README mentions ${step}`);
    }
  });

  it('names the two set-up commands, and .ci/run calls the test one', () => {
    assert.match(readme, /`npm start`/);
    assert.match(readme, /`npm test`/);
    assert.match(readFileSync(`${repoRoot}/.ci/run`, 'utf8'), /^npm test$/m);
  });
});
