/**
 * Dispatch: turn each token's k expert choices into one batch of tokens per expert, so an expert
 * runs once on all of its tokens (work ∝ tokens × k, never tokens × N).
 *
 *   topkIndices [T, k]  →  for each expert e: the slots (t·k + j) that chose e, in increasing token order
 *                           tokensPerExpert [N] = number of such slots
 *
 * A "slot" is one (token, rank) pair; the expert's output row for slot t·k + j is later weighted by
 * topkWeights[t, j] in the combine. The kernels `gatherRows`, `scatterRows` and `combine` (src/backends)
 * move the rows; this file only decides which rows go where.
 */
import { intTensor, type IntTensor } from '../tensor/tensor.js';

/** Slots grouped by expert. */
export interface Dispatch {
  /** [N] int32 slots routed to each expert. */
  tokensPerExpert: IntTensor;
  /** slotsOfExpert[e]: the slots t·k + j routed to expert e, ascending. */
  slotsOfExpert: Int32Array[];
}

/**
 * Groups the slots of `topkIndices` [T, k] by expert. Indices must already be checked. With
 * `keptMask` [T, k] (capacity, src/router/capacity.ts), dropped slots (0) go to no expert.
 */
export function dispatchByExpert(topkIndices: IntTensor, numExperts: number, keptMask?: IntTensor): Dispatch {
  const slots = topkIndices.data;
  const kept = keptMask?.data;
  const counts = new Int32Array(numExperts);
  for (let s = 0; s < slots.length; s++) if (kept === undefined || kept[s]) counts[slots[s]]++;
  const slotsOfExpert = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(numExperts);
  for (let s = 0; s < slots.length; s++) {
    if (kept !== undefined && !kept[s]) continue;
    const e = slots[s];
    slotsOfExpert[e][filled[e]++] = s;
  }
  return { tokensPerExpert: intTensor(counts, [numExperts]), slotsOfExpert };
}

/** The token (input row) of each slot: slot s = t·k + j belongs to token t = ⌊s/k⌋. */
export function tokenRowsOfSlots(slots: Int32Array, k: number): Int32Array {
  return Int32Array.from(slots, (slot) => Math.floor(slot / k));
}
