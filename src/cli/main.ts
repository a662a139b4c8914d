// capd-temporal, the operator CLI: status, pause, resume, history and ui of DockerClusters' reconcile workflows.
// Results go to stdout; errors go to stderr with an exit code scripts can use (see the usage text).
import { ConfigError, loadConfig } from '../config.js';
import { type Command, parseCommand, usage } from './args.js';
import { Context } from './context.js';
import { CliError, exitCodes, messageOf, UsageError } from './errors.js';

/** Each command's module is loaded only when it runs. */
async function execute(context: Context, command: Exclude<Command, { command: 'help' }>): Promise<void> {
  switch (command.command) {
    case 'status':
      return await (await import('./status.js')).status(context, command.ref, command.json);
    case 'pause':
      return await (await import('./pause.js')).pause(context, command.ref, command.reason);
    case 'resume':
      return await (await import('./pause.js')).resume(context, command.ref);
    case 'history':
      return await (await import('./history.js')).history(context, command.ref, command.runs, command.json);
    case 'ui':
      return await (await import('./ui.js')).ui(context, command.ref);
  }
}

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

const code = await main(process.argv.slice(2));
// Exit once the output is flushed, even if a client left a socket open.
process.stdout.write('', () => process.exit(code));
