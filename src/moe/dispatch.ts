/**
 * Dispatch: turn each token's k expert choices into one batch of tokens per expert, so an expert
 * runs once on all of its tokens (work ∝ tokens × k, never tokens × N).
 *
 *   topkIndices [T, k]  →  for each expert e: the slots (t·k + j) that chose e, in increasing token order
 *                           tokensPerExpert [N] = number of such slots
 *
 * A "slot" is one (token, rank) pair; the expert's output row for slot t·k + j is later weighted by
 * topkWeights[t, j] in the combine.
 */
import { intTensor, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';

/** Slots grouped by expert. */
export interface Dispatch {
  /** [N] int32 slots routed to each expert. */
  tokensPerExpert: IntTensor;
  /** slotsOfExpert[e]: the slots t·k + j routed to expert e, ascending. */
  slotsOfExpert: Int32Array[];
}

/** Groups the slots of `topkIndices` [T, k] by expert. Indices must already be checked. */
export function dispatchByExpert(topkIndices: IntTensor, numExperts: number): Dispatch {
  const slots = topkIndices.data;
  const counts = new Int32Array(numExperts);
  for (let s = 0; s < slots.length; s++) counts[slots[s]]++;
  const slotsOfExpert = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(numExperts);
  for (let s = 0; s < slots.length; s++) {
    const e = slots[s];
    slotsOfExpert[e][filled[e]++] = s;
  }
  return { tokensPerExpert: intTensor(counts, [numExperts]), slotsOfExpert };
}

/** Gathers the input rows of the given slots: x [T, H] → [slots.length, H] (row of slot s = token ⌊s/k⌋). */
export function gatherTokens(x: Tensor, slots: Int32Array, k: number): Tensor {
  const hidden = x.shape[1];
  const batch = new Float32Array(slots.length * hidden);
  for (let r = 0; r < slots.length; r++) {
    const token = Math.floor(slots[r] / k);
    batch.set(x.data.subarray(token * hidden, (token + 1) * hidden), r * hidden);
  }
  return tensor(batch, [slots.length, hidden]);
}

/** Writes an expert's output rows back to their slots: slotOutputs [T·k, H]. */
export function scatterToSlots(expertOutput: Tensor, slots: Int32Array, slotOutputs: Float32Array): void {
  const hidden = expertOutput.shape[1];
  for (let r = 0; r < slots.length; r++) {
    slotOutputs.set(expertOutput.data.subarray(r * hidden, (r + 1) * hidden), slots[r] * hidden);
  }
}
