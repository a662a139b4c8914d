// The Dockerfile's steps as text: they are the documented build without Docker (npm ci, npm run build), the
// image runs dist/main.js and carries the CLI. test/integration/image.test.ts builds and runs it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../scripts/repo-root.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order: comments dropped, continuation lines joined. */
function instructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** One list of instructions per FROM; what comes before the first FROM is left out. */
function stages(all: Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const dockerfile = instructions(read('Dockerfile'));
const [renderer = [], build = [], runtime = []] = stages(dockerfile);

describe('Dockerfile', () => {
  it('builds and runs on the base NODE_IMAGE, the renderer on GO_IMAGE: the official images unless the build names others', () => {
    const firstFrom = dockerfile.findIndex((i) => i.keyword === 'FROM');
    const globalArgs = dockerfile.slice(0, firstFrom).filter((i) => i.keyword === 'ARG');
    assert.deepEqual(
      globalArgs.map((i) => i.args),
      ['NODE_IMAGE=node:20-bookworm-slim', 'GO_IMAGE=golang:1.26-bookworm'],
    );
    const bases = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    const nodeImage = '$' + '{NODE_IMAGE}';
    assert.deepEqual(bases, ['$' + '{GO_IMAGE}', nodeImage, nodeImage]);
  });

  it('builds the HAProxy template renderer with the script npm run build:haproxy-template runs, into dist/', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts['build:haproxy-template'], 'sh scripts/build-haproxy-template.sh');
    assert.deepEqual(
      renderer.filter((i) => i.keyword === 'RUN').map((i) => i.args),
      ['sh scripts/build-haproxy-template.sh'],
    );
    assert.ok(
      runtime.some(
        (i) =>
          i.keyword === 'COPY' &&
          i.args === '--from=haproxy-template /app/dist/haproxy-template ./dist/haproxy-template',
      ),
      'the runtime stage has the renderer where the provider looks for it',
    );
  });

  it('runs npm ci, npm run build and npm prune --omit=dev, in that order', () => {
    const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const position = (command: string) => {
      const index = runs.findIndex((run) => run.split(/\s*&&\s*/).some((step) => step.startsWith(command)));
      assert.notEqual(index, -1, `a RUN step runs '${command}' (RUN steps: ${JSON.stringify(runs)})`);
      return index;
    };
    const ci = position('npm ci');
    const compile = position('npm run build');
    const prune = position('npm prune --omit=dev');
    assert.ok(ci < compile && compile < prune, 'install, then build, then prune');
  });

  it("'npm run build' is tsc with tsconfig.build.json, compiling src/ to dist/, then the CLI's bundle", () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.build, 'tsc -p tsconfig.build.json && node scripts/bundle.mjs');
    const config = JSON.parse(read('tsconfig.build.json')) as {
      extends: string;
      include: string[];
      compilerOptions: Record<string, unknown>;
    };
    assert.equal(config.extends, './tsconfig.json');
    assert.deepEqual(config.include, ['src']);
    assert.equal(config.compilerOptions.rootDir, 'src');
    assert.equal(config.compilerOptions.outDir, 'dist');
    assert.equal(config.compilerOptions.noEmit, false);
  });

  it('runs dist/main.js with plain node as a non-root user, all components by default', () => {
    const last = (keyword: string) => runtime.filter((i) => i.keyword === keyword).at(-1)?.args;
    assert.deepEqual(JSON.parse(last('ENTRYPOINT') ?? 'null'), ['node', 'dist/main.js']);
    assert.deepEqual(JSON.parse(last('CMD') ?? 'null'), ['all']);
    const user = last('USER');
    assert.ok(user && !['root', '0', '0:0'].includes(user), `the image runs as a non-root user, not ${user}`);
    const copied = runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const path of ['/app/dist', '/app/node_modules']) {
      assert.ok(
        copied.some((args) => args.startsWith('--from=build') && args.includes(path)),
        `the runtime stage copies ${path} from the build stage`,
      );
    }
  });

  it('puts the CLI that package.json names on PATH as capd-temporal', () => {
    const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin;
    assert.deepEqual(bin, { 'capd-temporal': 'bin/capd-temporal.js' });
    const runs = runtime.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(
      runs.includes('ln -s /app/bin/capd-temporal.js /usr/local/bin/capd-temporal'),
      JSON.stringify(runs),
    );
    assert.ok(runtime.some((i) => i.keyword === 'COPY' && i.args === 'bin ./bin'));
  });

  it('copies only files that .dockerignore lets into the build context', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const included = (path: string) => {
      let result = true;
      for (const pattern of patterns) {
        const negated = pattern.startsWith('!');
        const body = negated ? pattern.slice(1) : pattern;
        if (body === '*' || body === path || path.startsWith(`${body}/`)) result = negated;
      }
      return result;
    };
    const sources = dockerfile
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    assert.ok(sources.includes('src'));
    for (const source of sources) assert.ok(included(source), `.dockerignore excludes ${source}`);
  });
});
