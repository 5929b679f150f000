/**
 * The one error type of moe-oracle.
 *
 * Every public function checks its arguments at the boundary and throws `MoEOracleError` with a
 * message that names the argument, what was expected and what was received, e.g.
 *
 *   moe-oracle: x: expected shape [T, 64], got [5, 32]
 *
 * so that bad input never surfaces as a NaN, a silent wrong value or a stack trace from deep inside.
 */
export class MoEOracleError extends Error {
  /** Name of the offending argument (`x`, `topK`, `params["gate.weight"]`, ...). */
  readonly argument: string;
  /** What was expected, in words or as a shape. */
  readonly expected: string;
  /** What was received. */
  readonly actual: string;

  constructor(argument: string, expected: string, actual: string) {
    super(`moe-oracle: ${argument}: expected ${expected}, got ${actual}`);
    this.name = 'MoEOracleError';
    this.argument = argument;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Formats a value for an error message, keeping it short. */
export function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Float32Array).length})`;
  if (typeof value === 'object') return `an object with keys ${describe(Object.keys(value as object))}`;
  return String(value);
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(argument: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new MoEOracleError(argument, range, describe(value));
  }
  return value;
}

/** Throws unless `value` is a finite number (and, when given, within [min, max]). */
export function checkFiniteNumber(argument: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range =
      min === -Infinity && max === Infinity ? 'a finite number' : `a finite number in [${min}, ${max}]`;
    throw new MoEOracleError(argument, range, describe(value));
  }
  return value;
}

/** Throws unless `value` is one of `choices`. */
export function checkOneOf<T extends string>(argument: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new MoEOracleError(argument, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, describe(value));
  }
  return value as T;
}

/** Throws unless `value` is a boolean; `fallback` when undefined. */
export function checkBoolean(argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new MoEOracleError(argument, 'true or false', describe(value));
  return value;
}

/**
 * Throws unless `value` is a plain object whose keys are all in `knownKeys` (an unknown key is
 * usually a typo, or a key of another config shape). `movedKeys` maps a key that now lives
 * elsewhere to its new place, for a message that says where it went.
 */
export function checkPlainObject(argument: string, value: unknown, knownKeys: readonly string[], movedKeys: Record<string, string> = {}): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new MoEOracleError(argument, 'an object', describe(value));
  }
  for (const key of Object.keys(value)) {
    if (knownKeys.includes(key)) continue;
    if (key in movedKeys) throw new MoEOracleError(`${argument}.${key}`, `${argument}.${movedKeys[key]} (the setting moved there)`, `${argument}.${key}`);
    throw new MoEOracleError(`${argument}.${key}`, `one of the known keys ${knownKeys.join(', ')}`, 'an unknown key');
  }
}

/** Throws unless `value` is an object (not null, an array or a typed array); `expected` words the message. */
export function checkObject(argument: string, value: unknown, expected = 'an object'): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new MoEOracleError(argument, expected, describe(value));
  }
}

/**
 * The options argument of a public function: `undefined` means every option at its default (and
 * returns `{}`); anything else must be an object. Use it before reading `options.x`.
 */
export function checkOptions<T extends object>(argument: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  checkObject(argument, value, 'an options object (or undefined for the defaults)');
  return value;
}
