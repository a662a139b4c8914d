// scripts/test.sh runs test files side by side. A file that stops a part of the stack (stack.sh stop PART) would
// stop it under the files running beside it, so it must be in the script's stack_stoppers list, which runs alone.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../scripts/repo-root.js';

const testScript = readFileSync(join(repoRoot, 'scripts/test.sh'), 'utf8');
const listed = /^stack_stoppers=\(([^)]*)\)/m.exec(testScript)?.[1]?.trim().split(/\s+/) ?? [];

const testFiles = readdirSync(join(repoRoot, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => `test/${file}`);

describe('scripts/test.sh', () => {
  it('runs alone every test file that stops a part of the stack', () => {
    const stoppers = testFiles.filter((file) =>
      /\bstack\(\s*'stop'/.test(readFileSync(join(repoRoot, file), 'utf8')),
    );
    assert.ok(stoppers.length > 0, 'the stack-restart tests are found');
    assert.deepEqual(stoppers.sort(), [...listed].sort());
  });
});
