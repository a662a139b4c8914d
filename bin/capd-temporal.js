#!/usr/bin/env node
// The operator CLI: runs the bundle that `npm run build` makes (scripts/bundle-cli.mjs).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli-bundle/capd-temporal.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(`capd-temporal: ${bundle.pathname} is missing: run 'npm run build' first\n`);
  process.exit(1);
}
await import(bundle.href);
