// The CLI as users run it (bin/capd-temporal.js, and `capd-temporal` in the image): dist/cli-bundle/ holds
// this launcher, the bundle and its code cache, and needs no node_modules.
import { fileURLToPath } from 'node:url';
import { bundleFile, codeCacheFile, compileCli, readCodeCache } from './code-cache.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const { cli } = compileCli(here(bundleFile), readCodeCache(here(codeCacheFile)));
await cli.run();
