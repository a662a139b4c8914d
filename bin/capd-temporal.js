#!/usr/bin/env node
// The operator CLI: runs the launcher that `npm run build` makes (scripts/bundle.mjs).
import { existsSync } from 'node:fs';

const launcher = new URL('../dist/cli-bundle/capd-temporal.mjs', import.meta.url);
if (!existsSync(launcher)) {
  process.stderr.write(`capd-temporal: ${launcher.pathname} is missing: run 'npm run build' first\n`);
  process.exit(1);
}
await import(launcher.href);
