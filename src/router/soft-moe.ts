/**
 * Soft MoE's router (Puigcerver et al. 2023, "From Sparse to Soft Mixtures of Experts", arXiv:2308.00951,
 * §2, Algorithm 1; google-research/vmoe vmoe/projects/soft_moe/router.py SoftRouter). No token chooses and
 * no expert chooses: every token is mixed into every slot, and every slot's output into every token.
 *
 *   logits[t, s] = x_t · Φ_s                                   [T, E·S]   slot s = e·S + p (expert e, its slot p)
 *   D = softmax over the tokens t: each column s sums to 1     [T, E·S]   dispatch weights
 *   C = softmax over the slots s: each row t sums to 1         [T, E·S]   combine weights
 *   slot inputs X̃ = Dᵀ·x [E·S, H]; slot outputs Ỹ_s = E_⌊s/S⌋(X̃_s); y = C·Ỹ [T, H]   (src/moe/soft-moe.ts)
 *
 * The routing is dense: no selection, no top-k, no capacity drop. Nothing can flip on a near-tie (the
 * margins are +Infinity) and every expert processes exactly S slots.
 *
 * Two named forms of the logits (`logits`):
 *   'normalized' (default)  vmoe's SoftRouter: x and Φ l2-normalised over the hidden axis,
 *                           n(v) = v · rsqrt(Σ_h v_h² + 1e-6) (vmoe `normalize`: eps inside the square root),
 *                           logits = scale · n(x)·n(Φ) with a learned scalar `scale` (initialised to 1).
 *                           vmoe multiplies the scale into whichever of the two has fewer elements
 *                           (`inputs.size < mu.size`, i.e. T < E·S → n(x), else n(Φ)); so does this file.
 *                           The paper's §2.3 describes the same normalisation for large models.
 *   'plain'                 the paper's Algorithm 1: logits = x·Φ, no normalisation, no scale.
 *
 * Parameters: vmoe's `mu` [H, E, S] (the paper's Φ ∈ R^{d×n×p}) is "router.mu" here, with the same shape
 * and layout (slot e·S + p is mu[:, e, p]); vmoe's scalar `scale` (shape ()) is "router.scale" [1], present
 * only in the 'normalized' form. S (`slotsPerExpert`) fixes mu's shape; vmoe derives it from a capacity
 * factor when it creates the parameter, round(T·cf/E) half to even and at least 1 (compute_capacity with
 * 'round', multiple_of 1): `softMoESlotsPerExpert`. All T tokens of a call form one group (vmoe routes
 * each group of its [G, T, H] input alone: call once per group).
 * Not built: vmoe's optional Gaussian noise on the logits (`noise_std`, training only), its bfloat16
 * dispatcher, and its similarity metrics.
 *
 * Numerics: n(x) and n(Φ), with the scale, are formed in float64 on the host (a row norm, not a product)
 * and rounded to float32 once. logits = linear(n(x), n(Φ)ᵀ) [T, E·S] and logitsᵀ = linear(n(Φ)ᵀ, n(x))
 * [E·S, T] run on the backend (the same float64 dot products in the same order, so the same bits on cpu);
 * C = softmax(logits) and Dᵀ = softmax(logitsᵀ) are the backend's row softmax. vmoe computes in float32
 * (x·rsqrt, then ·scale: two roundings), so its logits differ from these by a few float32 ulps.
 */
import { checkInteger, checkOneOf, checkPlainObject, MoEOracleError } from '../tensor/errors.js';
import { checkFinite, checkProducedFinite, checkShape, contiguous, tensor, type Tensor } from '../tensor/tensor.js';
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { backendOf, synchronousBackendOf, type BackendOption } from '../backends/registry.js';
import { vmoeCapacity } from './capacity.js';

/** `MoEConfig.router.softMoE`. vmoe keys in brackets. */
export interface SoftMoEConfig {
  /** S, slots per expert [num_slots]; mu is [H, E, S]. */
  slotsPerExpert: number;
  /** 'normalized' (default; vmoe SoftRouter) or 'plain' (the paper's Algorithm 1). */
  logits?: 'normalized' | 'plain';
}

/** A Soft MoE config checked, defaults filled in; itself a valid config. */
export type ResolvedSoftMoEConfig = Required<SoftMoEConfig>;

/** The parameter names of Soft MoE's router (vmoe SoftRouter's `mu` and `scale`). */
export const SOFT_MOE_PARAMETER_NAMES = { mu: 'router.mu', scale: 'router.scale' } as const;

/** vmoe's l2-normalisation epsilon, added to the sum of squares under the square root. */
export const SOFT_MOE_NORMALIZE_EPSILON = 1e-6;

/** Checks a Soft MoE config. */
export function resolveSoftMoEConfig(config: SoftMoEConfig, where: string): ResolvedSoftMoEConfig {
  checkPlainObject(where, config, ['slotsPerExpert', 'logits']);
  return {
    slotsPerExpert: checkInteger(`${where}.slotsPerExpert`, config.slotsPerExpert, 1),
    logits: checkOneOf(`${where}.logits`, config.logits ?? 'normalized', ['normalized', 'plain'] as const),
  };
}

/**
 * Slots per expert as vmoe's SoftRouter derives them when `num_slots` is not given: round(T·cf/E),
 * half to even, at least 1 (vmoe/moe.py compute_capacity with ceil_or_round 'round', multiple_of 1).
 * vmoe's worked case (router_test.py): T = 8, E = 5, cf = 1 → round(1.6) = 2.
 */
export function softMoESlotsPerExpert(tokens: number, numExperts: number, capacityFactor = 1): number {
  checkInteger('tokens', tokens, 1);
  checkInteger('numExperts', numExperts, 1);
  if (typeof capacityFactor !== 'number' || !Number.isFinite(capacityFactor) || !(capacityFactor > 0)) {
    throw new MoEOracleError('capacityFactor', 'a finite number > 0', String(capacityFactor));
  }
  return vmoeCapacity(tokens, numExperts, capacityFactor, 'round', 1, 'softMoE');
}

/** Soft MoE router parameters. */
export interface SoftMoERouterParams {
  /** [H, E, S] "router.mu" (vmoe `mu`, the paper's Φ). */
  mu: Tensor;
  /** [1] "router.scale" (vmoe's scalar `scale`); present exactly in the 'normalized' form. */
  scale?: Tensor;
}

/** What Soft MoE's router returns. */
export interface SoftMoERouting {
  /** [T, E·S] the logits (of n(x) and n(Φ), times the scale, in the 'normalized' form). */
  logits: Tensor;
  /** [T, E·S] D: softmax over tokens, each column sums to 1. */
  dispatchWeights: Tensor;
  /** [T, E·S] C: softmax over slots, each row sums to 1. */
  combineWeights: Tensor;
}

/** Checks x and the router's parameters at the public boundary; returns E. */
export function checkSoftMoERouterCall(x: Tensor, params: SoftMoERouterParams, config: ResolvedSoftMoEConfig, names = SOFT_MOE_PARAMETER_NAMES): number {
  checkShape('x', x, ['T', 'H']);
  checkFinite('x', x);
  if (typeof params !== 'object' || params === null) throw new MoEOracleError('params', 'Soft MoE router parameters { mu, scale? }', String(params));
  const hidden = x.shape[1];
  checkShape(names.mu, params.mu, [hidden, 'E', config.slotsPerExpert]);
  checkFinite(names.mu, params.mu);
  const normalized = config.logits === 'normalized';
  if (normalized !== (params.scale !== undefined)) {
    throw new MoEOracleError(names.scale, normalized ? "a [1] tensor (softMoE.logits is 'normalized')" : "no such parameter (softMoE.logits is 'plain')", params.scale === undefined ? 'none' : 'a tensor');
  }
  if (params.scale !== undefined) {
    checkShape(names.scale, params.scale, [1]);
    checkFinite(names.scale, params.scale);
  }
  return params.mu.shape[1];
}

/** Device tensors of Soft MoE's router: the logits both ways round and their two softmaxes. */
export interface SoftMoERoutingOnDevice {
  /** [T, E·S] */
  logits: DeviceTensor;
  /** [T, E·S] C, rows sum to 1. */
  combine: DeviceTensor;
  /** [E·S, T] Dᵀ, rows (one per slot) sum to 1. */
  dispatchTransposed: DeviceTensor;
}

/**
 * Rows of `rows × columns` data (element (r, c) at r·rowStride + c·columnStride), each times
 * factor / √(Σ_c v² + ε) when `normalize`, else times 1, written row-major as [rows, columns] float32:
 * float64 arithmetic, one rounding.
 */
function scaledRows(data: Float32Array, rows: number, columns: number, rowStride: number, columnStride: number, normalize: boolean, factor: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    let sumOfSquares = 0;
    for (let c = 0; c < columns; c++) sumOfSquares += data[r * rowStride + c * columnStride] ** 2;
    const multiplier = normalize ? factor / Math.sqrt(sumOfSquares + SOFT_MOE_NORMALIZE_EPSILON) : 1;
    for (let c = 0; c < columns; c++) out[r * columns + c] = data[r * rowStride + c * columnStride] * multiplier;
  }
  return out;
}

/**
 * The router's operands as the backend multiplies them: x' [T, H] and Φ'ᵀ [E·S, H], normalised and
 * scaled by vmoe's rule in the 'normalized' form, x and Φᵀ in the 'plain' form.
 */
export function softMoEOperands(x: Tensor, params: SoftMoERouterParams, config: ResolvedSoftMoEConfig): { inputs: Tensor; slotsByHidden: Tensor } {
  const [tokens, hidden] = x.shape;
  const slots = params.mu.shape[1] * params.mu.shape[2];
  const normalize = config.logits === 'normalized';
  const scale = normalize ? contiguous(params.scale!).data[0] : 1;
  const scaleOnInputs = tokens < slots; // vmoe: inputs.size < mu.size
  const inputs = scaledRows(contiguous(x).data, tokens, hidden, hidden, 1, normalize, scaleOnInputs ? scale : 1);
  // mu [H, E·S]: column s (stride E·S down the hidden axis) becomes row s of Φ'ᵀ.
  const slotsByHidden = scaledRows(contiguous(params.mu).data, slots, hidden, 1, slots, normalize, scaleOnInputs ? 1 : scale);
  return { inputs: tensor(inputs, [tokens, hidden]), slotsByHidden: tensor(slotsByHidden, [slots, hidden]) };
}

/** On the backend: logits, C = softmax over slots, Dᵀ = softmax over tokens. Inputs checked by the caller. */
export function softMoERoutingOnDevice(kernels: Kernels, x: Tensor, params: SoftMoERouterParams, config: ResolvedSoftMoEConfig): SoftMoERoutingOnDevice {
  const { inputs, slotsByHidden } = softMoEOperands(x, params, config);
  const [xDevice, phiDevice] = [kernels.upload(inputs), kernels.upload(slotsByHidden)];
  const logits = kernels.linear(xDevice, phiDevice); // [T, E·S]
  const logitsTransposed = kernels.linear(phiDevice, xDevice); // [E·S, T]
  return { logits, combine: kernels.softmax(logits), dispatchTransposed: kernels.softmax(logitsTransposed) };
}

/** [R, C] → [C, R] on the host. */
export function transposed(t: Tensor): Tensor {
  const [rows, columns] = t.shape;
  const data = contiguous(t).data;
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c];
  return tensor(out, [columns, rows]);
}

/** The routing read back: logits and C as they are, D from Dᵀ. Checks nothing overflowed. */
export function softMoERoutingOf(logits: Tensor, combine: Tensor, dispatchTransposed: Tensor): SoftMoERouting {
  checkProducedFinite('soft-moe', 'router_logits', logits);
  return { logits, dispatchWeights: transposed(dispatchTransposed), combineWeights: combine };
}

/** Soft MoE's router: x [T, H] → logits, dispatch and combine weights [T, E·S], on a synchronous backend. */
export function softMoERoute(x: Tensor, params: SoftMoERouterParams, config: SoftMoEConfig, options: BackendOption = {}): SoftMoERouting {
  const resolved = resolveSoftMoEConfig(config, 'softMoE');
  checkSoftMoERouterCall(x, params, resolved);
  const kernels = synchronousBackendOf(options, 'softMoERouteAsync');
  const device = softMoERoutingOnDevice(kernels, contiguous(x), params, resolved);
  return softMoERoutingOf(kernels.readSync(device.logits), kernels.readSync(device.combine), kernels.readSync(device.dispatchTransposed));
}

/** `softMoERoute` on any backend, synchronous or asynchronous. */
export async function softMoERouteAsync(x: Tensor, params: SoftMoERouterParams, config: SoftMoEConfig, options: BackendOption = {}): Promise<SoftMoERouting> {
  const resolved = resolveSoftMoEConfig(config, 'softMoE');
  checkSoftMoERouterCall(x, params, resolved);
  const kernels = backendOf(options);
  const device = softMoERoutingOnDevice(kernels, contiguous(x), params, resolved);
  const [logits, combine, dispatchTransposed] = await Promise.all([kernels.read(device.logits), kernels.read(device.combine), kernels.read(device.dispatchTransposed)]);
  return softMoERoutingOf(logits, combine, dispatchTransposed);
}
