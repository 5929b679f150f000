/**
 * Typed access to the keys of one Hugging Face config.json object: every read names the key, and a
 * value of the wrong type or outside its bounds is a `MoEOracleError` naming the key, the expected
 * type and the value received (`config.routed_scaling_factor: expected a finite number in [...]
 * (read for model_type "deepseek_v3"), got "2.5"`). Nothing is coerced: a string where a number
 * belongs is an error, never the default.
 *
 * Sizes (hidden sizes, layer counts, expert counts) are integers at most `MAX_CONFIG_SIZE` (2^31 − 1,
 * the int32 range every framework indexes tensors with), so products of a few of them stay exact in
 * float64 and no loop can run for 1e20 iterations.
 */
import { describe, MoEOracleError } from '../tensor/errors.js';

/** A config.json object as parsed from JSON. */
export type HfJson = Record<string, unknown>;

/** The largest size a config may give (int32). */
export const MAX_CONFIG_SIZE = 2 ** 31 - 1;

export class ConfigFields {
  constructor(
    private readonly fields: HfJson,
    /** How the object is named in messages: `config`, `config.ffn_config`, a file path. */
    readonly where: string,
    /** The config's model_type, quoted in messages. */
    readonly modelType: string,
  ) {}

  /** Whether `key` holds a value (absent and null both mean "not given"). */
  has(key: string): boolean {
    return this.fields[key] !== undefined && this.fields[key] !== null;
  }

  /** The raw value at `key` (for messages). */
  raw(key: string): unknown {
    return this.fields[key];
  }

  /** Throws the error of `key`: `expected` in words, the value as received. */
  fail(key: string, expected: string): never {
    const value = this.fields[key];
    const actual = value === undefined ? 'nothing (the key is missing)' : describe(value);
    throw new MoEOracleError(`${this.where}.${key}`, `${expected} (read for model_type ${JSON.stringify(this.modelType)})`, actual);
  }

  /** A required integer in [min, max]. */
  int(key: string, min = 1, max = MAX_CONFIG_SIZE): number {
    const value = this.fields[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(key, max === MAX_CONFIG_SIZE ? `an integer >= ${min} (at most 2^31 - 1)` : `an integer in [${min}, ${max}]`);
    }
    return value;
  }

  /** An optional integer in [min, max]; `fallback` when absent or null. */
  intOr(key: string, fallback: number, min = 0, max = MAX_CONFIG_SIZE): number {
    return this.has(key) ? this.int(key, min, max) : fallback;
  }

  /** An optional integer >= 1, or null when absent, null or 0 (DeepSeek's `q_lora_rank: null`). */
  intOrNull(key: string): number | null {
    return this.has(key) && this.fields[key] !== 0 ? this.int(key, 1) : null;
  }

  /** A required finite number in [min, max] (JSON has one number type: 1 and 1.0 read the same). */
  number(key: string, min = -Infinity, max = Infinity): number {
    const value = this.fields[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      const range = min === -Infinity && max === Infinity ? 'a finite number' : `a finite number in [${min}, ${max}]`;
      this.fail(key, range);
    }
    return value;
  }

  /** An optional finite number in [min, max]; `fallback` when absent or null. */
  numberOr(key: string, fallback: number, min = -Infinity, max = Infinity): number {
    return this.has(key) ? this.number(key, min, max) : fallback;
  }

  /** An optional boolean; `fallback` when absent or null. */
  boolOr(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const value = this.fields[key];
    if (typeof value !== 'boolean') this.fail(key, 'true or false');
    return value;
  }

  /** An optional string; `fallback` when absent or null. */
  stringOr(key: string, fallback: string): string {
    if (!this.has(key)) return fallback;
    const value = this.fields[key];
    if (typeof value !== 'string') this.fail(key, 'a string');
    return value;
  }

  /** An optional string among `choices`; `fallback` when absent or null. */
  oneOfOr<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    if (!this.has(key)) return fallback;
    const value = this.fields[key];
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      this.fail(key, `one of ${choices.map((choice) => JSON.stringify(choice)).join(', ')}`);
    }
    return value as T;
  }

  /** An optional list of integers in [min, max]; `fallback` when absent or null. */
  intListOr(key: string, fallback: number[], min = 0, max = MAX_CONFIG_SIZE): number[] {
    if (!this.has(key)) return fallback;
    const value = this.fields[key];
    if (!Array.isArray(value) || !value.every((item) => Number.isInteger(item) && item >= min && item <= max)) {
      this.fail(key, `a list of integers in [${min}, ${max}]`);
    }
    return value as number[];
  }

  /** A required nested object (DBRX's ffn_config, attn_config). */
  nested(key: string): ConfigFields {
    const value = this.fields[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(key, 'an object');
    return new ConfigFields(value as HfJson, `${this.where}.${key}`, this.modelType);
  }

  /** An optional nested object; an empty one when absent or null (DBRX's sub-configs, rope_scaling). */
  nestedOrEmpty(key: string): ConfigFields {
    return this.has(key) ? this.nested(key) : new ConfigFields({}, `${this.where}.${key}`, this.modelType);
  }

  /** `numerator / denominator`, which must be a whole number (a default head dimension). */
  quotient(numeratorKey: string, numerator: number, denominator: number, denominatorKey: string): number {
    if (numerator % denominator !== 0) this.fail(numeratorKey, `a multiple of ${denominatorKey} (${denominator})`);
    return numerator / denominator;
  }
}

/** Checks that `json` is a config.json object and returns its fields, typed by its `model_type`. */
export function configFields<T extends string>(json: unknown, where: string, modelTypes: readonly T[]): { fields: ConfigFields; modelType: T } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new MoEOracleError(where, 'a config.json object', describe(json));
  const modelType = (json as HfJson).model_type;
  if (typeof modelType !== 'string' || !(modelTypes as readonly string[]).includes(modelType)) {
    throw new MoEOracleError(
      `${where}.model_type`,
      `one of ${modelTypes.map((type) => JSON.stringify(type)).join(', ')}`,
      modelType === undefined ? 'nothing (the key is missing)' : describe(modelType),
    );
  }
  return { fields: new ConfigFields(json as HfJson, where, modelType), modelType: modelType as T };
}
