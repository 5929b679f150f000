/**
 * Option parsing shared by the sub-commands: Node's `util.parseArgs` (strict: unknown options,
 * missing values and stray arguments are usage errors), with its errors turned into MoEOracleError
 * naming the option (exit code 2), and helpers that read integer and number options strictly:
 * an integer option is written in decimal digits with an optional sign ("16", "-1"); a number option
 * is a decimal number ("0.5", "1e-6"). "0x10", "1e3" for an integer, " 4 ", "" and "Infinity" are
 * rejected, where `Number()` would accept them.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkFiniteNumber, checkInteger, describe, MoEOracleError } from '../tensor/errors.js';

/**
 * A negative number after a string option ("--tokens -1") is that option's value, not an option:
 * rewritten as "--tokens=-1", so the value gets its own range check instead of "ambiguous".
 */
function joinNegativeValues(args: readonly string[], options: ParseArgsConfig['options']): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    const next = args[i + 1];
    if (name !== undefined && options?.[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else joined.push(args[i]);
  }
  return joined;
}

/** Parses the arguments of `moe-oracle <command>`. */
export function parseOptions<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  const args = joinNegativeValues(config.args ?? [], config.options);
  try {
    return parseArgs<T>({ strict: true, ...config, args });
  } catch (error) {
    const message = (error as Error).message;
    const code = (error as NodeJS.ErrnoException).code;
    const option = /'(-[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
      throw new MoEOracleError(option, `an option of \`moe-oracle ${command}\` (see \`moe-oracle ${command} --help\`)`, 'an unknown option');
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
      const takesValue = config.options?.[option.replace(/^-+/, '')]?.type === 'string';
      throw new MoEOracleError(option, takesValue ? 'a value (--option VALUE or --option=VALUE)' : 'no value (it is a switch)', takesValue ? 'none' : 'a value');
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const extra = /'([^']*)'/.exec(message)?.[1];
      throw new MoEOracleError(`moe-oracle ${command}`, 'options only (see --help)', `the extra argument ${JSON.stringify(extra ?? message)}`);
    }
    throw new MoEOracleError(`moe-oracle ${command}`, 'valid options (see --help)', message);
  }
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** An integer option, with a default and bounds. */
export function integerOption(name: string, value: string | undefined, fallback: number, min: number, max?: number): number {
  if (value === undefined) return fallback;
  if (!INTEGER_TEXT.test(value)) {
    throw new MoEOracleError(`--${name}`, `an integer in decimal digits${max === undefined ? ` >= ${min}` : ` in [${min}, ${max}]`}`, describe(value));
  }
  return checkInteger(`--${name}`, Number(value), min, max);
}

/** A finite number option, at least `min` when given. */
export function numberOption(name: string, value: string | undefined, fallback?: number, min = -Infinity): number | undefined {
  if (value === undefined) return fallback;
  if (!NUMBER_TEXT.test(value)) throw new MoEOracleError(`--${name}`, 'a decimal number such as 0.5 or 1e-6', describe(value));
  return checkFiniteNumber(`--${name}`, Number(value), min);
}

/** Rejects options given to a command (or action) they do not apply to, instead of ignoring them. */
export function rejectOptions(context: string, values: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    if (values[name] !== undefined) throw new MoEOracleError(`--${name}`, `no --${name} with ${context} (it does not apply)`, describe(values[name]));
  }
}
