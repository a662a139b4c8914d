// Makes the bundles of the compiled provider (dist/): the workflows as one script, which every worker loads
// instead of running webpack at its start; the provider's entry point dist/main.js as one script with its
// dependencies, in place of the compiled one, so that a start reads one file instead of about a thousand
// modules; and dist/cli-bundle/ from the compiled CLI (dist/cli/): the CLI and its dependencies as one CommonJS
// script, the V8 code cache of that script with every command loaded, and the launcher that runs the two
// (src/cli/code-cache.ts says why). dist/cli-bundle/ needs no node_modules.
// Usage: node scripts/bundle.mjs [dist directory, default dist]
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { build } from 'esbuild';

const dist = resolve(process.argv[2] ?? 'dist');
const out = join(dist, 'cli-bundle');
rmSync(out, { recursive: true, force: true });

/** Written whole, then renamed: a process starting meanwhile loads the previous file or this one, never a part. */
function replace(path, contents) {
  const partial = `${path}.${process.pid}`;
  writeFileSync(partial, contents);
  renameSync(partial, path);
}

const { workflowsPath, workflowBundlePath } = await import(
  pathToFileURL(join(dist, 'build-outputs.js')).href
);
const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
replace(workflowBundlePath, code);

// Minified: a third of the bytes to read and compile at every start or call (a CLI trace under CAPDT_DEBUG names
// the bundle).
const common = { bundle: true, minify: true, platform: 'node', target: 'node20', logLevel: 'warning' };

// The provider stays an ES module at the same place (one folder below the repository, as src/build-outputs.ts
// needs). Left out, and loaded from node_modules as before: the Temporal SDK (its worker has a native core and
// bundles workflows itself) and the Docker client's SSH transport, which has native parts. Function names are
// kept, so that stack traces in the logs stay readable.
const entryPoint = join(dist, 'main.js');
const provider = await build({
  ...common,
  entryPoints: [entryPoint],
  format: 'esm',
  keepNames: true,
  external: ['@temporalio/*', 'ssh2', 'cpu-features'],
  // CommonJS dependencies inside an ES module call require().
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  write: false,
  outfile: entryPoint,
});
replace(entryPoint, provider.outputFiles[0].contents);

const { bundleFile, codeCacheFile, compileCli } = await import(
  pathToFileURL(join(dist, 'cli/code-cache.js')).href
);
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
