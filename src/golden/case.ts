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
 *   tolerances                 JSON: per output, the reduction length K and the default fp32
 *                              {atol, rtol} of the tolerance model (tolerance.ts)
 *   numeric_semantics_version  bumped whenever a rule of the README's "Numeric semantics" changes
 *
 * The package version is deliberately not in the file: a release that changes no number must leave
 * every golden byte as it was (`numeric_semantics_version` is what says the numbers' rules changed).
 */
import { stringifyHfConfig } from '../hf/layer-config.js';
import { createRequire } from 'node:module';
import type { StateDict } from '../moe/params.js';
import { type IntTensor, type Tensor } from '../tensor/tensor.js';
import { getComponent, type ComponentName, type TensorMap } from './components.js';
import { writeSafetensors } from './safetensors.js';
import { defaultTolerance, referenceMagnitude } from './tolerance.js';

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

/** Runs a case's component and assembles its file content. */
export function buildCase(goldenCase: GoldenCase): BuiltCase {
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
  const component = getComponent(parts.component);
  const tensors: Record<string, Tensor | IntTensor> = {};
  for (const [name, t] of Object.entries(parts.inputs)) tensors[`inputs.${name}`] = t;
  for (const [name, t] of Object.entries(parts.params)) tensors[`params.${name}`] = t;
  const tolerances: Record<string, { reduction_length: number; atol: number; rtol: number }> = {};
  for (const [name, t] of Object.entries(parts.outputs)) {
    tensors[`outputs.${name}`] = t;
    if (t.data instanceof Float32Array) {
      const reductionLength = component.reductionLength(parts.config, name);
      const { atol, rtol } = defaultTolerance({ dtype: 'fp32', reductionLength, magnitude: referenceMagnitude(t as Tensor) });
      tolerances[name] = { reduction_length: reductionLength, atol, rtol };
    }
  }
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

/** The tensors whose names start with `prefix` ("inputs.", "params.", "outputs."), with the prefix removed. */
export function tensorsUnder(tensors: Record<string, Tensor | IntTensor>, prefix: string): TensorMap {
  const result: TensorMap = {};
  for (const [name, t] of Object.entries(tensors)) if (name.startsWith(prefix)) result[name.slice(prefix.length)] = t;
  return result;
}

/** The bytes of a case's safetensors file. */
export function caseBytes(built: BuiltCase): Uint8Array {
  return writeSafetensors(built.tensors, built.metadata);
}
