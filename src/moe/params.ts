/**
 * The parameters of an MoE layer: their names and shapes, and a deterministic initialisation.
 *
 *   router            [N, H]   (+ bias [N], + score-correction bias [N]); Soft MoE: router.mu [H, N, S] (+ router.scale [1])
 *   routed expert i   SwiGLU: gate [I, H], up [I, H], down [H, I];   classic FFN: wi [I, H], wo [H, I]
 *   shared expert     the same with I_shared = sharedExpertIntermediateSize
 *   shared gate       [1, H]
 *
 * `initMoEParams` draws every tensor from the Philox stream named after the parameter (see
 * tensor/prng.ts), uniform in ±1/√fan_in like PyTorch's `nn.Linear` default, so one expert can be
 * produced without the others and another language can regenerate the same state dict.
 * The score-correction bias is drawn uniform in ±0.1 (a learned, O(0.1) quantity in DeepSeek-V3).
 * Soft MoE's `router.mu` is uniform in ±1/√H (fan-in H, as vmoe's lecun_normal init), its `router.scale`
 * is 1 (vmoe's `scale_init` ones).
 */
import { MoEOracleError, describe } from '../tensor/errors.js';
import { randomUniform } from '../tensor/prng.js';
import { checkTensor, formatShape, tensor, type Tensor } from '../tensor/tensor.js';
import { resolveMoEConfig, type MoEConfig } from './config.js';
import { moeParameterNames, type ExpertNames } from './names.js';
import { SOFT_MOE_PARAMETER_NAMES } from '../router/soft-moe.js';

/** A state dict: Hugging Face parameter name → tensor. */
export type StateDict = Record<string, Tensor>;

/** One parameter's name and shape. */
export interface ParameterShape {
  name: string;
  shape: number[];
  /** The fan-in of the initialisation bound ±1/√fanIn when it is not shape[1] (fused 3-D experts, their biases). */
  fanIn?: number;
}

function expertShapes(names: ExpertNames, hidden: number, intermediate: number): ParameterShape[] {
  const shapes: ParameterShape[] = [{ name: names.gate, shape: [intermediate, hidden] }];
  if (names.up !== undefined) shapes.push({ name: names.up, shape: [intermediate, hidden] });
  shapes.push({ name: names.down, shape: [hidden, intermediate] });
  return shapes;
}

/** Every parameter of the layer, in a fixed order: router, routed experts by index, shared expert, shared gate. */
export function moeParameterShapes(config: MoEConfig): ParameterShape[] {
  const resolved = resolveMoEConfig(config);
  const names = moeParameterNames(resolved);
  const { hiddenSize: H, numExperts: N, expertIntermediateSize: I } = resolved;
  const softMoE = resolved.router.softMoE;
  const shapes: ParameterShape[] = [];
  if (softMoE !== undefined) {
    shapes.push({ name: SOFT_MOE_PARAMETER_NAMES.mu, shape: [H, N, softMoE.slotsPerExpert], fanIn: H });
    if (softMoE.logits === 'normalized') shapes.push({ name: SOFT_MOE_PARAMETER_NAMES.scale, shape: [1] });
  } else {
    shapes.push({ name: names.routerWeight, shape: [N, H] });
  }
  if (resolved.router.bias) shapes.push({ name: names.routerBias, shape: [N] });
  if (resolved.router.scoreCorrectionBias) shapes.push({ name: names.scoreCorrectionBias, shape: [N] });
  if (resolved.router.noise?.kind === 'noisy-top-k') shapes.push({ name: names.routerNoiseWeight, shape: [N, H] });
  const fused = names.expert(0).fused;
  if (fused !== undefined) {
    // gpt-oss / Llama 4: every expert in one 3-D tensor per projection, x·W layout.
    shapes.push({ name: fused.gateUp, shape: [N, H, 2 * I], fanIn: H });
    if (fused.gateUpBias !== undefined) shapes.push({ name: fused.gateUpBias, shape: [N, 2 * I], fanIn: H });
    shapes.push({ name: fused.down, shape: [N, I, H], fanIn: I });
    if (fused.downBias !== undefined) shapes.push({ name: fused.downBias, shape: [N, H], fanIn: I });
  } else {
    for (let e = 0; e < N; e++) shapes.push(...expertShapes(names.expert(e), H, I));
  }
  if (resolved.sharedExpertIntermediateSize > 0) {
    shapes.push(...expertShapes(names.sharedExpert, H, resolved.sharedExpertIntermediateSize));
    if (resolved.sharedExpertGate) shapes.push({ name: names.sharedExpertGate, shape: [1, H] });
  }
  return shapes;
}

/** A deterministic state dict for `config`, keyed by (seed, parameter name). */
export function initMoEParams(config: MoEConfig, seed: number): StateDict {
  const resolved = resolveMoEConfig(config);
  const names = moeParameterNames(resolved);
  const params: StateDict = {};
  for (const { name, shape, fanIn } of moeParameterShapes(config)) {
    if (name === SOFT_MOE_PARAMETER_NAMES.scale) {
      params[name] = tensor([1], [1]);
      continue;
    }
    let bound: number;
    if (name === names.scoreCorrectionBias) bound = 0.1;
    else if (name === names.routerBias) bound = 1 / Math.sqrt(resolved.hiddenSize);
    else bound = 1 / Math.sqrt(fanIn ?? shape[1]);
    params[name] = randomUniform(shape, { seed, name, low: -bound, high: bound });
  }
  return params;
}

/** Looks a parameter up and checks its shape; errors name the parameter. */
export function requireParam(params: StateDict, name: string, shape: readonly number[], hint = ''): Tensor {
  if (typeof params !== 'object' || params === null) throw new MoEOracleError('params', 'a state dict (name → tensor)', describe(params));
  const value = params[name];
  if (value === undefined) {
    const known = Object.keys(params);
    const sample = known.slice(0, 4).join(', ') + (known.length > 4 ? ', …' : '');
    throw new MoEOracleError(`params["${name}"]`, `a tensor of shape ${formatShape(shape)}${hint}`, `no such parameter (have: ${sample || 'none'})`);
  }
  if (typeof value !== 'object' || value === null || !(value.data instanceof Float32Array)) throw new MoEOracleError(`params["${name}"]`, `a float32 tensor of shape ${formatShape(shape)}`, describe(value));
  checkTensor(`params["${name}"]`, value);
  if (value.shape.length !== shape.length || value.shape.some((d, i) => d !== shape[i])) {
    throw new MoEOracleError(`params["${name}"]`, `a float32 tensor of shape ${formatShape(shape)}`, formatShape(value.shape));
  }
  return value;
}
