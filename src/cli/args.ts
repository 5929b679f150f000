/**
 * Option parsing shared by the sub-commands: Node's `util.parseArgs`, with its errors turned into
 * MoEOracleError (exit code 2) and helpers that read integer and number options with checks.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkFiniteNumber, checkInteger, MoEOracleError } from '../tensor/errors.js';

/** Parses a command's arguments (strict: unknown options and missing values are usage errors). */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (error) {
    throw new MoEOracleError('options', 'valid options (see --help)', (error as Error).message);
  }
}

/** An integer option, with a default and bounds. */
export function integerOption(name: string, value: string | undefined, fallback: number, min: number, max?: number): number {
  if (value === undefined) return fallback;
  return checkInteger(`--${name}`, Number(value), min, max);
}

/** A finite number option. */
export function numberOption(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  return checkFiniteNumber(`--${name}`, Number(value));
}
