/**
 * Group-limited (device- / node-limited) expert selection: the N experts form G equal groups of N/G;
 * each token first keeps its `topkGroup` best groups, the experts of the other groups are masked with
 * −Infinity, and the k experts are then chosen among the kept groups. One named method per source:
 *
 *   'noaux_tc'              group score = sum of the group's 2 largest selection scores.
 *                           DeepSeek-V3 (`topk_method: noaux_tc`): Hugging Face DeepseekV3TopkRouter /
 *                           deepseek-ai/DeepSeek-V3 inference/model.py Gate.forward (with the bias).
 *   'group_limited_greedy'  group score = the group's largest selection score.
 *                           DeepSeek-V2 (`topk_method: group_limited_greedy`), Hugging Face
 *                           DeepseekV2MoEGate; DeepSeek-V3's own Gate without a bias (amax).
 *   'megatron'              group score = sum of the group's ⌊k / topkGroup⌋ largest selection scores.
 *                           NVIDIA/Megatron-LM moe_utils.py group_limited_topk (moe_router_num_groups,
 *                           moe_router_group_topk). For V3 (k 8, 4 groups) it is V3's top-2 sum; for V2
 *                           (k 6, 3 groups) it is a top-2 sum where V2's own code takes the max.
 *
 * Masking with −Infinity matters: Hugging Face (before #45440/#45441), vLLM (#13474) and DeepSeek-V3
 * (#741) once masked with 0.0, so with a negative correction bias an expert of a dropped group (0.0)
 * could beat a kept one. Device-limited routing (DeepSeek-V2, §2.1.2) is this mechanism with one group
 * per device.
 *
 * The selection scores are those the router selects on (scores, scores + DeepSeek-V3's correction
 * bias, or logits for 'softmax-topk'); weights still come from the unbiased scores (router.ts).
 * Group scores are float64 sums of float32 scores in descending order, rounded to float32 once; groups
 * and experts are ranked by `rankDescending` (ties: lower index first).
 *
 * Shapes: selection [T, N] → groupScores [T, G], chosenGroups [T, topkGroup] int32 (best first),
 * masked [T, N] (−Infinity outside the kept groups), groupMargins [T] (topkGroup-th minus next group
 * score; +Infinity when every group is kept).
 */
import { checkInteger, checkOneOf, checkPlainObject, MoEOracleError } from '../tensor/errors.js';
import { contiguous, intTensor, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { gap, rankDescending } from './topk.js';

export type GroupLimitedMethod = 'noaux_tc' | 'group_limited_greedy' | 'megatron';
export const GROUP_LIMITED_METHODS: readonly GroupLimitedMethod[] = ['noaux_tc', 'group_limited_greedy', 'megatron'];

/** `MoEConfig.router.groups`. Hugging Face keys in brackets. */
export interface GroupLimitedConfig {
  /** How a group is scored [topk_method]. */
  method: GroupLimitedMethod;
  /** G, groups; must divide N [n_group, moe_router_num_groups]. */
  numGroups: number;
  /** Groups kept per token, 1 … G [topk_group, moe_router_group_topk]. */
  topkGroup: number;
}

/** What group-limited selection adds to the router's output. */
export interface GroupSelection {
  /** [T, G] float32 group scores. */
  groupScores: Tensor;
  /** [T, topkGroup] int32 kept groups, best first. */
  chosenGroups: IntTensor;
  /** [T] topkGroup-th minus (topkGroup+1)-th group score; +Infinity when topkGroup = G. */
  groupMargins: Tensor;
}

/** Checks a group config against N and k. */
export function resolveGroupLimitedConfig(config: GroupLimitedConfig, numExperts: number, topK: number, where: string): GroupLimitedConfig {
  checkPlainObject(where, config, ['method', 'numGroups', 'topkGroup']);
  const method = checkOneOf(`${where}.method`, config.method, GROUP_LIMITED_METHODS);
  const numGroups = checkInteger(`${where}.numGroups`, config.numGroups, 1, numExperts);
  if (numExperts % numGroups !== 0) throw new MoEOracleError(`${where}.numGroups`, `a divisor of the number of experts N = ${numExperts}`, String(numGroups));
  const topkGroup = checkInteger(`${where}.topkGroup`, config.topkGroup, 1, numGroups);
  const perGroup = numExperts / numGroups;
  if (topK > topkGroup * perGroup) {
    throw new MoEOracleError('router.topK', `at most ${topkGroup * perGroup}, the experts in the ${topkGroup} kept groups of ${perGroup}`, String(topK));
  }
  if (method === 'noaux_tc' && perGroup < 2) throw new MoEOracleError(`${where}.numGroups`, `groups of at least 2 experts for 'noaux_tc' (its group score sums the top 2), i.e. at most ${numExperts / 2}`, String(numGroups));
  if (method === 'megatron') {
    const summed = Math.floor(topK / topkGroup);
    if (summed < 1 || summed > perGroup) {
      throw new MoEOracleError(`${where}.topkGroup`, `a value with 1 ≤ ⌊k / topkGroup⌋ ≤ ${perGroup} (Megatron sums the top ⌊k / topkGroup⌋ of each group)`, `${topkGroup} with k = ${topK}`);
    }
  }
  return { method, numGroups, topkGroup };
}

/** How many of a group's largest scores make its score. */
function scoredPerGroup(config: GroupLimitedConfig, topK: number): number {
  if (config.method === 'group_limited_greedy') return 1;
  return config.method === 'noaux_tc' ? 2 : Math.floor(topK / config.topkGroup);
}

/** Scores the groups of `selection` [T, N], keeps the best, masks the rest with −Infinity. */
export function limitToGroups(selection: Tensor, config: GroupLimitedConfig, topK: number): { masked: Tensor; groups: GroupSelection } {
  const [tokens, numExperts] = selection.shape;
  const { numGroups, topkGroup } = config;
  const perGroup = numExperts / numGroups;
  const summed = scoredPerGroup(config, topK);
  const data = contiguous(selection).data;
  const groupScores = new Float32Array(tokens * numGroups);
  const chosen = new Int32Array(tokens * topkGroup);
  const margins = new Float32Array(tokens);
  const masked = new Float32Array(tokens * numExperts).fill(-Infinity);
  for (let t = 0; t < tokens; t++) {
    for (let g = 0; g < numGroups; g++) {
      const members = data.subarray(t * numExperts + g * perGroup, t * numExperts + (g + 1) * perGroup);
      const order = rankDescending(members);
      let sum = 0;
      for (let i = 0; i < summed; i++) sum += members[order[i]];
      groupScores[t * numGroups + g] = sum;
    }
    const row = groupScores.subarray(t * numGroups, (t + 1) * numGroups);
    const order = rankDescending(row);
    for (let i = 0; i < topkGroup; i++) {
      const g = order[i];
      chosen[t * topkGroup + i] = g;
      const from = t * numExperts + g * perGroup;
      masked.set(data.subarray(from, from + perGroup), from);
    }
    margins[t] = topkGroup === numGroups ? Infinity : gap(row[order[topkGroup - 1]], row[order[topkGroup]]);
  }
  return {
    masked: tensor(masked, [tokens, numExperts]),
    groups: { groupScores: tensor(groupScores, [tokens, numGroups]), chosenGroups: intTensor(chosen, [tokens, topkGroup]), groupMargins: tensor(margins, [tokens]) },
  };
}
