/**
 * The Soft MoE layer (Puigcerver et al. 2023, "From Sparse to Soft Mixtures of Experts", Algorithm 1;
 * google-research/vmoe vmoe/projects/soft_moe/router.py SoftRouter with vmoe/moe.py EinsumDispatcher):
 *
 *   D, C = Soft MoE's router (src/router/soft-moe.ts)           [T, E·S] each
 *   slot inputs   X̃ = Dᵀ·x                                      [E·S, H]   (the original x, not its normalised copy)
 *   slot outputs  Ỹ[e·S + p] = E_e(X̃[e·S + p])                   [E·S, H]   each expert runs once, on its S slots
 *   y = C·Ỹ                                                      [T, H]
 *
 * The routing is dense: every expert processes exactly S slots whatever the input, and every token's
 * output mixes every slot. vmoe's experts are ViT MLPs with biases; here they are the layer's expert
 * kind (SwiGLU or FFN without biases, or gpt-oss), named by the layer's naming scheme.
 *
 * Every product runs on the backend: the two weighted sums are `batchedMatmul` over a batch of one
 * (lifted with `splitHeads(·, 1)`, lowered with `mergeHeads`); each output element is a float64 sum in
 * increasing index (t, then s) order, rounded once. Shapes: x [T, H] → y [T, H].
 */
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { softMoERoutingOf, softMoERoutingOnDevice, type ResolvedSoftMoEConfig, type SoftMoERouterParams, type SoftMoERouting, type SoftMoERoutingOnDevice } from '../router/soft-moe.js';
import { checkProducedFinite, type Tensor } from '../tensor/tensor.js';

/** What a Soft MoE layer adds to its output. */
export interface SoftMoEOutput extends SoftMoERouting {
  /** [E·S, H] X̃ = Dᵀ·x, the input of each slot. */
  slotInputs: Tensor;
  /** [E·S, H] Ỹ, each slot's expert output. */
  slotOutputs: Tensor;
}

/** The device tensors of one Soft MoE forward pass. */
export interface SoftMoEStage {
  routing: SoftMoERoutingOnDevice;
  slotInputs: DeviceTensor;
  slotOutputs: DeviceTensor;
  output: DeviceTensor;
}

/** a [M, K] · b [K, N] → [M, N] with the backend's batchedMatmul over a batch of one. */
function matmulOnDevice(kernels: Kernels, a: DeviceTensor, b: DeviceTensor): DeviceTensor {
  const lift = (t: DeviceTensor) => kernels.splitHeads(t, 1, { start: 0, width: t.shape[1], stride: t.shape[1] });
  return kernels.mergeHeads(kernels.batchedMatmul(lift(a), lift(b)));
}

/**
 * On the backend: the router, the slot inputs, each expert on its S slots, the output. x is the host
 * input [T, H] (contiguous, checked) and `input` the same on the device; `runExpert(e, batch)` runs
 * expert e on batch [S, H].
 */
export function softMoEStage(
  kernels: Kernels,
  x: Tensor,
  input: DeviceTensor,
  params: SoftMoERouterParams,
  config: ResolvedSoftMoEConfig,
  runExpert: (expert: number, batch: DeviceTensor) => DeviceTensor,
): SoftMoEStage {
  const hidden = x.shape[1];
  const slots = config.slotsPerExpert;
  const numExperts = params.mu.shape[1];
  const routing = softMoERoutingOnDevice(kernels, x, params, config);
  const slotInputs = matmulOnDevice(kernels, routing.dispatchTransposed, input); // [E·S, T]·[T, H]
  const parts = [];
  for (let e = 0; e < numExperts; e++) {
    const rows = Int32Array.from({ length: slots }, (_, p) => e * slots + p);
    parts.push({ values: runExpert(e, kernels.gatherRows(slotInputs, rows)), rows });
  }
  const slotOutputs = kernels.scatterRows(parts, numExperts * slots, hidden);
  return { routing, slotInputs, slotOutputs, output: matmulOnDevice(kernels, routing.combine, slotOutputs) };
}

/** The stage's tensors read back: [logits, C, Dᵀ, slot inputs, slot outputs, y]. */
export type SoftMoEStageRead = [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];

/** The device tensors of a stage in the order `SoftMoEStageRead` lists them. */
export function softMoEStageTensors(stage: SoftMoEStage): DeviceTensor[] {
  return [stage.routing.logits, stage.routing.combine, stage.routing.dispatchTransposed, stage.slotInputs, stage.slotOutputs, stage.output];
}

/** The layer's Soft MoE output from the tensors read back; checks nothing overflowed. */
export function softMoEOutputOf([logits, combine, dispatchTransposed, slotInputs, slotOutputs, output]: SoftMoEStageRead): { output: Tensor; softMoE: SoftMoEOutput } {
  const routing = softMoERoutingOf(logits, combine, dispatchTransposed);
  checkProducedFinite('soft-moe', 'slot_outputs', slotOutputs);
  checkProducedFinite('moe', 'y', output);
  return { output, softMoE: { ...routing, slotInputs, slotOutputs } };
}
