// Makes the bundles of the compiled provider (dist/): the workflows as one script, which every worker loads
// instead of running webpack at its start; and dist/cli-bundle/ from the compiled CLI (dist/cli/): the CLI and
// its dependencies as one CommonJS script, the V8 code cache of that script with every command loaded, and the
// launcher that runs the two (src/cli/code-cache.ts says why). dist/cli-bundle/ needs no node_modules.
// Usage: node scripts/bundle-cli.mjs [dist directory, default dist]
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { build } from 'esbuild';

const dist = resolve(process.argv[2] ?? 'dist');
const out = join(dist, 'cli-bundle');
rmSync(out, { recursive: true, force: true });

const { workflowsPath, workflowBundlePath } = await import(pathToFileURL(join(dist, 'worker.js')).href);
const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
// Written whole, then renamed: a worker starting meanwhile loads the previous bundle or this one, never a part.
const partial = `${workflowBundlePath}.${process.pid}`;
writeFileSync(partial, code);
renameSync(partial, workflowBundlePath);

const { bundleFile, codeCacheFile, compileCli } = await import(
  pathToFileURL(join(dist, 'cli/code-cache.js')).href
);
// Minified: a third of the bytes to read and compile at every call (a trace under CAPDT_DEBUG names the bundle).
const common = { bundle: true, minify: true, platform: 'node', target: 'node20', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: [join(dist, 'cli/main.js')],
  outfile: join(out, bundleFile),
  format: 'cjs',
});
await build({
  ...common,
  entryPoints: [join(dist, 'cli/launcher.js')],
  outfile: join(out, 'capd-temporal.mjs'),
  format: 'esm',
});

// The cache is made by the Node that runs the CLI (the image's build stage has the same Node as the image).
const { cli, script } = compileCli(join(out, bundleFile));
await cli.loadCommands();
writeFileSync(join(out, codeCacheFile), script.createCachedData());
