// Bundles the compiled CLI (dist/cli/main.js) with its dependencies into dist/cli-bundle/: one module graph
// of a few files instead of hundreds loads in a fraction of the time, and needs no node_modules.
// Usage: node scripts/bundle-cli.mjs [dist directory, default dist]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const dist = process.argv[2] ?? 'dist';
// Chunks are named by their content: the previous build's would pile up.
rmSync(join(dist, 'cli-bundle'), { recursive: true, force: true });

await build({
  entryPoints: { 'capd-temporal': join(dist, 'cli/main.js') },
  outdir: join(dist, 'cli-bundle'),
  bundle: true,
  // Each command's module stays a chunk of its own, loaded when the command runs.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The CommonJS dependencies call require() for Node's built-in modules, which an ES module lacks.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
