/**
 * The expert stage of an expert-choice layer (Zhou et al. 2022; the selection is src/router/expert-choice.ts):
 * each expert runs once, on the G·c tokens it took, and each token adds the outputs of the experts that took it:
 *
 *   y_t = Σ over the experts e that took t of  G[e, t] · E_e(x_t)        (no expert took t: y_t = 0)
 *
 * Layout for the `combine` kernel: slot (t, r) holds the r-th expert, in increasing expert index, that took
 * token t, for r < width = max_t (experts that took t), at least 1. Its weight is that expert's combine
 * weight; unused slots have weight 0 and rows of zeros (rows `scatterRows` does not write are 0). So the
 * combine adds, per token and feature, the terms in increasing expert index (then exact zeros) in float64
 * and rounds once. (The paper's X_out sums over the experts; flaxformer's einsum leaves the order to XLA.)
 *
 *   choice.expertIndices [G·N, c], expertWeights [G·N, c] → combine weights [T, width], per expert the
 *   tokens it runs on and the slot rows its outputs go to; the output [T, H].
 */
import type { DeviceTensor, Kernels, ScatterPart } from '../backends/kernels.js';
import { contiguous, tensor, type Tensor } from '../tensor/tensor.js';
import type { ExpertChoiceOutput } from '../router/expert-choice.js';

/** Where each expert's outputs go in the combine's slot layout. */
export interface ExpertChoiceSlots {
  /** Slots per token: the most experts any token got (at least 1). */
  width: number;
  /** [T, width] the combine weights (0 in unused slots). */
  combineWeights: Tensor;
  /** tokensOfExpert[e]: the tokens expert e runs on, group by group, best first. */
  tokensOfExpert: Int32Array[];
  /** slotsOfExpert[e]: the slot row t·width + r each of those outputs goes to. */
  slotsOfExpert: Int32Array[];
}

/** The slot layout of an expert-choice selection over `tokens` tokens and `numExperts` experts. */
export function expertChoiceSlots(choice: ExpertChoiceOutput, tokens: number, numExperts: number): ExpertChoiceSlots {
  const indices = contiguous(choice.expertIndices).data;
  const weights = contiguous(choice.expertWeights).data;
  const capacity = choice.capacity;
  const groups = choice.expertIndices.shape[0] / numExperts;
  let width = 1;
  for (const count of contiguous(choice.expertsPerToken).data) width = Math.max(width, count);
  const combineWeights = new Float32Array(tokens * width);
  const filled = new Int32Array(tokens);
  const tokensOfExpert: Int32Array[] = [];
  const slotsOfExpert: Int32Array[] = [];
  for (let e = 0; e < numExperts; e++) {
    const ownTokens = new Int32Array(groups * capacity);
    const ownSlots = new Int32Array(groups * capacity);
    for (let g = 0; g < groups; g++) {
      for (let j = 0; j < capacity; j++) {
        const entry = (g * numExperts + e) * capacity + j;
        const t = indices[entry];
        const slot = t * width + filled[t]++;
        combineWeights[slot] = weights[entry];
        ownTokens[g * capacity + j] = t;
        ownSlots[g * capacity + j] = slot;
      }
    }
    tokensOfExpert.push(ownTokens);
    slotsOfExpert.push(ownSlots);
  }
  return { width, combineWeights: tensor(combineWeights, [tokens, width]), tokensOfExpert, slotsOfExpert };
}

/**
 * On the backend: every expert on its tokens, the outputs scattered into the slot layout, and the
 * combine. x [T, H] on the device; `runExpert(e, batch)` runs expert e on batch [n, H]. Returns y [T, H].
 */
export function expertChoiceOutputOnDevice(
  kernels: Kernels,
  x: DeviceTensor,
  choice: ExpertChoiceOutput,
  numExperts: number,
  runExpert: (expert: number, batch: DeviceTensor) => DeviceTensor,
): DeviceTensor {
  const [tokens, hidden] = x.shape;
  const slots = expertChoiceSlots(choice, tokens, numExperts);
  const parts: ScatterPart[] = [];
  for (let e = 0; e < numExperts; e++) {
    parts.push({ values: runExpert(e, kernels.gatherRows(x, slots.tokensOfExpert[e])), rows: slots.slotsOfExpert[e] });
  }
  const slotOutputs = kernels.scatterRows(parts, tokens * slots.width, hidden);
  return kernels.combine(kernels.upload(slots.combineWeights), slotOutputs);
}
