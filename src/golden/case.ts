/**
 * A golden case: a component, its config, a seed, and how to make its inputs and parameters. The
 * outputs are always computed by running the component, never written by hand.
 *
 * One case = one safetensors file holding `inputs.*`, `params.*` and `outputs.*` tensors, with the
 * case described in the header's `__metadata__` (all values are strings, as the format requires):
 *
 *   case                       "moe/mixtral-tiny"
 *   description                one sentence: what the case exercises
 *   component                  "moe" | "router" | "topk" | "expert" | "softmax" | "rmsnorm" | "activation"
 *   config                     JSON: the component's config (Hugging Face keys where they exist;
 *                              for moe/router also "moe_oracle": the exact MoEConfig)
 *   seed                       the uint32 Philox seed of every random tensor
 *   tolerances                 JSON: per float32 output, the reduction length K and the fp32
 *                              {atol, rtol} that `verify` applies (output-tolerance.ts: one rule)
 *   numeric_semantics_version  bumped whenever a rule of the README's "Numeric semantics" changes
 *
 * The package version is deliberately not in the file: a release that changes no number must leave
 * every golden byte as it was (`numeric_semantics_version` is what says the numbers' rules changed).
 */
import { stringifyHfConfig } from '../hf/layer-config.js';
import { createRequire } from 'node:module';
import type { StateDict } from '../moe/params.js';
import { describe, MoEOracleError } from '../tensor/errors.js';
import { type IntTensor, type Tensor } from '../tensor/tensor.js';
import { getComponent, type ComponentName, type TensorMap } from './components.js';
import { writeSafetensors } from './safetensors.js';
import { storedTolerances } from './output-tolerance.js';

/** Version of the numeric rules (README "Numeric semantics"); part of every golden file. */
export const NUMERIC_SEMANTICS_VERSION = '1';

/** This package's version, from package.json. */
export const LIBRARY_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** One golden case. */
export interface GoldenCase {
  /** Path-like name, e.g. "moe/mixtral-tiny"; the file is golden/<name>.safetensors. */
  name: string;
  component: ComponentName;
  description: string;
  /** The component's config, in the form its `parseConfig` accepts. */
  config: unknown;
  seed: number;
  /** Large cases (a real model's layer width) are only generated on demand (`--large`). */
  large?: boolean;
  /** Makes the inputs and parameters (from the PRNG, possibly edited into an edge case). */
  make(): { inputs: TensorMap; params: StateDict };
}

/** The tensors and metadata of a case, as written to its file. */
export interface BuiltCase {
  tensors: Record<string, Tensor | IntTensor>;
  metadata: Record<string, string>;
}

function checkObject(argument: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MoEOracleError(argument, 'an object', describe(value));
}

/** Runs a case's component and assembles its file content. */
export function buildCase(goldenCase: GoldenCase): BuiltCase {
  checkObject('goldenCase', goldenCase);
  if (typeof goldenCase.make !== 'function') throw new MoEOracleError('goldenCase.make', 'a function making the inputs and params', describe(goldenCase.make));
  const component = getComponent(goldenCase.component);
  const config = component.parseConfig(goldenCase.config);
  const { inputs, params } = goldenCase.make();
  const outputs = component.run(config, inputs, params);
  return assembleCase({ name: goldenCase.name, description: goldenCase.description, component: goldenCase.component, config, seed: goldenCase.seed, inputs, params, outputs });
}

/** Puts inputs, params and outputs under their prefixes and writes the metadata (shared with `run`). */
export function assembleCase(parts: {
  name: string;
  description: string;
  component: ComponentName;
  config: unknown;
  seed: number | null;
  inputs: TensorMap;
  params: StateDict;
  outputs: TensorMap;
}): BuiltCase {
  checkObject('parts', parts);
  for (const group of ['inputs', 'params', 'outputs'] as const) checkObject(`parts.${group}`, parts[group]);
  const component = getComponent(parts.component);
  const tensors: Record<string, Tensor | IntTensor> = {};
  for (const [name, t] of Object.entries(parts.inputs)) tensors[`inputs.${name}`] = t;
  for (const [name, t] of Object.entries(parts.params)) tensors[`params.${name}`] = t;
  for (const [name, t] of Object.entries(parts.outputs)) tensors[`outputs.${name}`] = t;
  const tolerances = storedTolerances(component, parts.config, { outputs: parts.outputs, inputs: parts.inputs, params: parts.params });
  const metadata: Record<string, string> = {
    case: parts.name,
    description: parts.description,
    component: parts.component,
    config: stringifyHfConfig(component.configToJson(parts.config)),
    seed: parts.seed === null ? 'none' : String(parts.seed),
    tolerances: JSON.stringify(tolerances),
    numeric_semantics_version: NUMERIC_SEMANTICS_VERSION,
  };
  return { tensors, metadata };
}

/**
 * The tensors whose names start with `prefix` ("inputs.", "params.", "outputs."), with the prefix
 * removed. The result has no prototype, so a tensor named "__proto__" or "constructor" is an ordinary
 * entry; entries are copied as property descriptors, so tensors of a lazily read file
 * (`openSafetensorsFile`) are still read only when used.
 */
export function tensorsUnder(tensors: Record<string, Tensor | IntTensor>, prefix: string): TensorMap {
  checkObject('tensors', tensors);
  if (typeof prefix !== 'string') throw new MoEOracleError('prefix', 'a string such as "outputs."', describe(prefix));
  const result: TensorMap = Object.create(null);
  for (const name of Object.keys(tensors)) {
    if (!name.startsWith(prefix)) continue;
    Object.defineProperty(result, name.slice(prefix.length), { ...Object.getOwnPropertyDescriptor(tensors, name)!, enumerable: true, configurable: true });
  }
  return result;
}

/** The bytes of a case's safetensors file. */
export function caseBytes(built: BuiltCase): Uint8Array {
  checkObject('built', built);
  return writeSafetensors(built.tensors, built.metadata);
}
