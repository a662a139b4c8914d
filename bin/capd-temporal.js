#!/usr/bin/env node
// The operator CLI's launcher: runs src/cli/main.ts through tsx (tsconfig of this package, whatever the cwd).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/cli/main.ts');
