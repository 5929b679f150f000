/**
 * `moe-oracle` command-line entry: a table of sub-commands, each a thin layer over the library.
 * Every command receives its arguments and an `io` object (so specs can capture output) and returns
 * the process exit code: 0 success, 1 a check failed (verify, golden check), 2 bad usage or bad
 * input (the message, on stderr, names the option or file). Help goes to stdout; usage errors and
 * every other message to stderr.
 */
import { createRequire } from 'node:module';
import { MoEOracleError } from '../tensor/errors.js';
export { removePendingTemporaries } from '../golden/safetensors.js';
import { goldenCommand } from './golden.js';
import { routeCommand } from './route.js';
import { runCommand } from './run.js';
import { verifyCommand } from './verify.js';
import { paramsCommand } from './params.js';

/** Where a command writes. `isTTY` says whether progress output makes sense. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

/** One sub-command. */
export interface CliCommand {
  summary: string;
  run: (args: string[], io: CliIO) => Promise<number> | number;
}

/** The sub-commands, by name. Each lives in its own file under src/cli/. */
const COMMANDS: Record<string, CliCommand> = {
  route: routeCommand,
  golden: goldenCommand,
  run: runCommand,
  verify: verifyCommand,
  params: paramsCommand,
};

function usage(): string {
  const lines = ['usage: moe-oracle <command> [options]', '', 'commands:'];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  lines.push('', 'Run `moe-oracle help <command>` (or `moe-oracle <command> --help`) for the options of one command;', '`moe-oracle --version` prints the version.', '', 'Exit codes: 0 success, 1 a check failed, 2 bad usage or input (message on stderr).');
  return lines.join('\n') + '\n';
}

const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
};

/** This package's version. */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Runs the CLI on `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout(usage());
    return 0;
  }
  if (name === undefined) {
    io.stderr(usage());
    return 2;
  }
  if (name === 'help') return main([rest[0], '--help', ...rest.slice(1)], io);
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`moe-oracle: command: expected one of ${Object.keys(COMMANDS).join(', ')}, got ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof MoEOracleError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
