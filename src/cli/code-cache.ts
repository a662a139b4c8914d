// The CLI's bundle (a CommonJS script made by scripts/bundle.mjs) compiled with V8's code cache. Without
// it, every call compiles the Temporal and Kubernetes clients (about 3 MB of JavaScript) again; the cache holds
// their bytecode, made once by the build, and a call only loads it. Node 20 has no compile cache for user code
// (Node 22's module.enableCompileCache() is one). The build writes the bundle and its cache together. V8
// refuses a cache made by another Node (or with other V8 flags), and the CLI then compiles as it would without
// one: slower, never wrong.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** What the bundle exports (src/cli/main.ts). */
interface CliBundle {
  run(): Promise<void>;
  loadCommands(): Promise<void>;
}

export const bundleFile = 'capd-temporal.cjs';
export const codeCacheFile = 'capd-temporal.v8-cache';

interface CompiledCli {
  cli: CliBundle;
  /** The script, whose createCachedData() is the code cache of what has run so far. */
  script: Script;
  /** Whether V8 refused the cache it was given (another Node, or another bundle). */
  cacheRejected: boolean;
}

/** Compiles and evaluates the bundle at `path` in this process, with the code cache when one is given. */
export function compileCli(path: string, cachedData?: Buffer): CompiledCli {
  const source = readFileSync(path, 'utf8');
  // The CommonJS module wrapper, as Node's own loader writes it.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, { filename: path, ...(cachedData && { cachedData }) });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(path), module, path, dirname(path));
  return { cli: module.exports as CliBundle, script, cacheRejected: script.cachedDataRejected === true };
}

/** The cache beside the bundle, when the build made one. */
export function readCodeCache(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
