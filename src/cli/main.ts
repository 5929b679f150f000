/**
 * `moe-oracle` command-line entry: a table of sub-commands, each a thin layer over the library.
 * Every command receives its arguments and an `io` object (so specs can capture output) and returns
 * the process exit code: 0 success, 1 a verification failed, 2 bad usage or bad input.
 */
import { MoEOracleError } from '../tensor/errors.js';
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
  lines.push('', 'Run `moe-oracle <command> --help` for the options of one command.');
  return lines.join('\n') + '\n';
}

const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
};

/** Runs the CLI on `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`moe-oracle: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
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
