// The production build (npm run build, in dist/): src/ compiled by tsconfig.build.json and bundled into dist/main.js runs
// with plain node (no tsx), the compiled workflows are bundled once, its worker loads that bundle (none: it stops, naming the build), polls the
// stack's Temporal and stops cleanly on SIGTERM; the CLI's bundle runs on its own, without node_modules, with its
// code cache or without.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { bundleFile, codeCacheFile, compileCli } from '../../src/cli/code-cache.js';
import { eventually, repoRoot, stackEnv, uniqueName } from '../support/stack.js';

const run = promisify(execFile);
// The environment without this test runner's own settings: the programs run as a user runs them.
const { NODE_OPTIONS: _options, NODE_TEST_CONTEXT: _context, ...plainNode } = process.env;
const workerEnv = (taskQueue: string) => ({
  ...plainNode,
  CAPDT_TASK_QUEUE: taskQueue,
  LOG_LEVEL: 'info',
  CAPDT_HTTP_PORT: '0',
});

/** How a program ended: its exit code (0 when it succeeded) and its output. */
async function ended(
  program: Promise<{ stdout: string; stderr: string }>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return await program.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number | null; stdout: string; stderr: string }) => error,
  );
}

interface Poller {
  identity?: string;
  taskQueueType?: string;
}

describe('the compiled provider', () => {
  // Inside the repository, so dist/ resolves the repository's node_modules and package.json ("type": "module").
  const buildDir = join(repoRoot, `.build-test-${randomBytes(4).toString('hex')}`);
  const dist = join(buildDir, 'dist');
  let child: ChildProcess | undefined;
  let output = '';

  // The CLI's bundle alone, in a directory with no node_modules anywhere above it.
  const standalone = mkdtempSync(join(tmpdir(), 'capdt-cli-'));

  // A copy of the build (scripts/build.sh, which npm test runs first): this test renames and removes parts of it.
  before(() => {
    cpSync(join(repoRoot, 'dist'), dist, { recursive: true });
  });

  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(standalone, { recursive: true, force: true });
  });

  it('emits the entry point, the workflows and the JSON the code imports', () => {
    for (const file of ['main.js', 'worker.js', 'workflows/index.js', 'api/search-attributes.json']) {
      assert.ok(existsSync(join(dist, file)), `dist/${file} is emitted`);
    }
    assert.deepEqual(
      JSON.parse(readFileSync(join(dist, 'api/search-attributes.json'), 'utf8')),
      JSON.parse(readFileSync(join(repoRoot, 'src/api/search-attributes.json'), 'utf8')),
    );
    assert.ok(!existsSync(join(dist, 'src')), 'rootDir is src: no dist/src/');
  });

  it('makes dist/main.js one script: it imports only Node, the Temporal SDK and packages with native parts', () => {
    const entry = readFileSync(join(dist, 'main.js'), 'utf8');
    const imported = new Set(
      [...entry.matchAll(/\bfrom\s*"([^"]+)"/g)]
        .map(([, specifier = '']) => specifier)
        .filter((specifier) => /^[\w@.][\w@./:-]*$/.test(specifier)),
    );
    const allowed = (specifier: string) =>
      builtinModules.includes(specifier.replace(/^node:/, '')) ||
      /^@temporalio\/\w+$/.test(specifier) ||
      ['ssh2', 'cpu-features'].includes(specifier);
    assert.ok(imported.has('@temporalio/worker'), 'the Temporal SDK is imported, not bundled');
    assert.deepEqual(
      [...imported].filter((specifier) => !allowed(specifier)),
      [],
    );
  });

  it('bundles the compiled workflows (dist/workflows/index.js), never src/, into dist/workflow-bundle.js', () => {
    const bundle = readFileSync(join(dist, 'workflow-bundle.js'), 'utf8');
    assert.match(bundle, /dist\/workflows\/index\.js/);
    assert.doesNotMatch(bundle, /src\/workflows/);
  });

  it('stops a worker whose build has no workflow bundle with exit code 2, naming npm run build', async () => {
    const bundle = join(dist, 'workflow-bundle.js');
    const moved = `${bundle}.moved`;
    renameSync(bundle, moved);
    try {
      const result = await ended(
        run(process.execPath, [join(dist, 'main.js'), 'worker'], {
          cwd: repoRoot,
          env: workerEnv(uniqueName('build-test')),
          timeout: 60_000,
        }),
      );
      assert.equal(result.code, 2, `${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /the workflow bundle \S+ is missing: run npm run build/);
    } finally {
      renameSync(moved, bundle);
    }
  });

  /** The CLI of the standalone copy: exit 3 is its answer after asking the API server (it loaded, read the
   * kubeconfig and connected). */
  async function assertStandaloneCliAnswers(): Promise<void> {
    const missing = uniqueName('no-such-dockercluster');
    const result = await ended(
      run(process.execPath, [join(standalone, 'capd-temporal.mjs'), 'status', `default/${missing}`], {
        cwd: standalone,
        env: plainNode,
      }),
    );
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stderr, `capd-temporal: DockerCluster default/${missing} not found\n`);
  }

  it('bundles the CLI into one program that needs no node_modules', async () => {
    cpSync(join(dist, 'cli-bundle'), standalone, { recursive: true });
    await assertStandaloneCliAnswers();
  });

  it("ships the bundle's V8 code cache, which this Node accepts; a refused cache only costs time", async () => {
    const bundle = join(dist, 'cli-bundle', bundleFile);
    const cache = readFileSync(join(dist, 'cli-bundle', codeCacheFile));
    assert.ok(
      cache.length > 1_000_000,
      `a cache of the loaded commands, not of the bundle's top level alone`,
    );
    assert.equal(compileCli(bundle, cache).cacheRejected, false);

    const foreign = Buffer.from(cache);
    foreign.fill(0, 0, 64);
    assert.equal(compileCli(bundle, foreign).cacheRejected, true);
    writeFileSync(join(standalone, codeCacheFile), foreign);
    await assertStandaloneCliAnswers();
  });

  it('runs the worker with plain node on the bundle until SIGTERM, then exits 0', async () => {
    const taskQueue = uniqueName('build-test');
    const address = stackEnv('TEMPORAL_ADDRESS');
    const started = spawn(process.execPath, [join(dist, 'main.js'), 'worker'], {
      cwd: repoRoot,
      env: workerEnv(taskQueue),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    started.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
    assert.ok(started.pid, 'the worker started');

    // The worker's default identity is pid@hostname: its pollers, not an earlier run's.
    const identity = `${started.pid}@${hostname()}`;
    const pollerTypes = await eventually(
      'the compiled worker to poll its task queue',
      async () => {
        if (started.exitCode !== null) throw new Error(`the worker exited ${started.exitCode}:\n${output}`);
        const described = execFileSync(
          stackEnv('TEMPORAL_CLI'),
          ['task-queue', 'describe', '--address', address, '--task-queue', taskQueue, '-o', 'json'],
          { encoding: 'utf8' },
        );
        const pollers = ((JSON.parse(described) as { pollers?: Poller[] }).pollers ?? []).filter(
          (poller) => poller.identity === identity,
        );
        const types = pollers.map((poller) => poller.taskQueueType).sort();
        return types.includes('workflow') && types.includes('activity') ? types : undefined;
      },
      90_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nworker output:\n${output}`, { cause: error });
    });
    assert.deepEqual(pollerTypes, ['activity', 'workflow']);
    // It loaded the build's bundle: no webpack at its start.
    assert.doesNotMatch(output, /Workflow bundle created/);

    started.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), 20_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.equal(code, 0, `the worker exits 0 within 20 s of SIGTERM, got ${code}:\n${output.slice(-4000)}`);
  });
});
