// The provider's log lines as a person sees them: pretty and coloured in a terminal, JSON lines when stdout is
// a pipe or a file, and LOG_FORMAT / --log-format to choose either. An unknown component is a quick way to
// make the real entry point log one line (a fatal one) and exit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/stack.js';

// The build, as a deployment runs it (npm test builds it first).
const provider = ['dist/main.js', 'no-such-component'];

/** This environment without a LOG_FORMAT of its own, and with the given settings. */
function environment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const { LOG_FORMAT: _unset, ...inherited } = process.env;
  return { ...inherited, ...settings };
}

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...provider, ...args], {
    cwd: repoRoot,
    env: environment(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** The provider with its stdout on a terminal: util-linux's script(1) gives it a pseudo-terminal. */
function inTerminal(args: string[], env: Record<string, string> = {}) {
  const command = [process.execPath, ...provider, ...args].map((word) => `'${word}'`).join(' ');
  return spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: repoRoot,
    env: environment(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
}

// An ANSI colour sequence: ESC [ <n> m.
const colour = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`);

describe('log lines', () => {
  it('are JSON, one object a line, when stdout is not a terminal', () => {
    const result = run([]);
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, result.stdout);
    const line = JSON.parse(lines[0] ?? '') as { level: number; msg: string };
    assert.equal(line.level, 60);
    assert.match(line.msg, /unknown component 'no-such-component'/);
  });

  it('are pretty and coloured in a terminal', () => {
    const result = inTerminal([]);
    assert.equal(result.status, 2, result.stdout);
    assert.match(
      result.stdout,
      /^\[\d\d:\d\d:\d\d\.\d{3}\] .*FATAL.*: .*unknown component 'no-such-component'/m,
    );
    assert.match(result.stdout, colour);
    assert.doesNotMatch(result.stdout, /"level"/);
  });

  it('follow LOG_FORMAT=json in a terminal, and --log-format pretty in a pipe', () => {
    const json = inTerminal([], { LOG_FORMAT: 'json' });
    assert.match(json.stdout, /^\{"level":60,.*"msg":"unknown component/m);
    const pretty = run(['--log-format', 'pretty']);
    assert.match(pretty.stdout, /^\[\d\d:\d\d:\d\d\.\d{3}\] FATAL.*: unknown component/m);
    assert.doesNotMatch(pretty.stdout, colour, 'no colour codes in a pipe');
  });

  it('refuses an unknown format, naming the setting and the choices', () => {
    const result = run([], { LOG_FORMAT: 'xml' });
    assert.equal(result.status, 2);
    assert.match(result.stdout, /LOG_FORMAT/);
    assert.match(result.stdout, /auto.*pretty.*json/);
  });
});
