// capd-temporal, the operator CLI: status, pause, resume, history and ui of DockerClusters' reconcile workflows.
// Results go to stdout; errors go to stderr with an exit code scripts can use (see the usage text).
// Users run it through dist/cli-bundle/ (src/cli/launcher.ts); `npm run cli` runs it from the sources (run.ts).
import { ConfigError, loadConfig } from '../config.js';
import { type Command, parseCommand, usage } from './args.js';
import { Context } from './context.js';
import { CliError, exitCodes, messageOf, UsageError } from './errors.js';

/** Each command's module, loaded only when the command runs. */
const commands = {
  status: () => import('./status.js'),
  pause: () => import('./pause.js'),
  history: () => import('./history.js'),
  ui: () => import('./ui.js'),
};

async function execute(context: Context, command: Exclude<Command, { command: 'help' }>): Promise<void> {
  switch (command.command) {
    case 'status':
      return await (await commands.status()).status(context, command.ref, command.json);
    case 'pause':
      return await (await commands.pause()).pause(context, command.ref, command.reason);
    case 'resume':
      return await (await commands.pause()).resume(context, command.ref);
    case 'history':
      return await (await commands.history()).history(context, command.ref, command.runs, command.json);
    case 'ui':
      return await (await commands.ui()).ui(context, command.ref);
  }
}

/**
 * Loads every command's module and the clients they use (context.ts), and runs none: the build calls it
 * before it saves the bundle's V8 code cache (scripts/bundle.mjs), so that the cache holds their code.
 */
export async function loadCommands(): Promise<void> {
  await Promise.all([
    ...Object.values(commands).map((load) => load()),
    import('./kubernetes.js'),
    import('./temporal.js'),
  ]);
}

/** Runs one command line; returns the exit code. */
async function main(argv: string[]): Promise<number> {
  let context: Context | undefined;
  try {
    const command = parseCommand(argv);
    if (command.command === 'help') {
      process.stdout.write(usage);
      return exitCodes.ok;
    }
    context = new Context(loadConfig(process.env));
    await execute(context, command);
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`capd-temporal: ${error.message}\n\n${usage}`);
      return exitCodes.usage;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`capd-temporal: ${error.message}\n`);
      return exitCodes.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`capd-temporal: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`capd-temporal: unexpected error: ${messageOf(error)}\n`);
    if (process.env.CAPDT_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return exitCodes.unexpected;
  } finally {
    await context?.close().catch(() => undefined);
  }
}

/**
 * Runs the command line of this process; exits with its code once the output is flushed, even if a client left
 * a socket open.
 */
export async function run(): Promise<void> {
  const code = await main(process.argv.slice(2));
  process.stdout.write('', () => process.exit(code));
}
