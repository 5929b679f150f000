/**
 * Expert-choice routing (Zhou et al. 2022, "Mixture-of-Experts with Expert Choice Routing",
 * arXiv:2202.09368, §3.2): instead of each token picking its k experts, each expert picks the c tokens
 * that score it highest. Every expert processes exactly c tokens (per group); a token gets 0 … N experts.
 *
 *   S = softmax(x·W_gᵀ (+ b)) over the N experts, per token       [T, N]   the router's usual scores
 *   for each group g of T_g tokens and each expert e:
 *     I[g, e] = the c tokens of group g with the largest S[t, e]   [c]      expert_indices (best first)
 *     G[g, e] = S[I[g, e], e]                                      [c]      expert_weights (combine weights)
 *   y_t = Σ over the (e, j) with I[·, e, j] = t of  G[·, e, j] · E_e(x_t)
 *
 * Sources. The paper: S = Softmax(X·W_g), G, I = TopK(Sᵀ, k), k = n × c / e (its k is our c, its c our
 * capacity factor). google/flaxformer flaxformer/architectures/moe/routing.py ExpertsChooseMaskedRouter:
 * router_probs = softmax over experts per token in float32 (Router._compute_router_probabilities, with an
 * optional router bias, RouterWeights use_bias), top `expert_capacity` tokens per expert by `_top_k`
 * (jax.lax.top_k) over the transposed probabilities, combine array = the chosen probabilities (no
 * renormalisation), auxiliary loss 0; expert_capacity from moe_layers.py MoeLayer.__call__.
 * google-research/vmoe vmoe/moe.py get_top_items_per_expert_dispatcher (gates = softmax, the same top-C
 * per expert and combine weights) with compute_capacity. flaxformer's `batch_prioritized_routing` is an
 * option of its tokens-choose routers only: under expert choice no token has priority over another.
 * Not built: the paper's capped variant (an entropy-regularised linear program bounding experts per token).
 *
 * Capacity c per expert and group (T = tokens per group, N experts, cf = `factor`), one named formula per source:
 *   'paper'       T·cf/N, which must be an integer (the paper sets k = n × c / e and never rounds)
 *   'flaxformer'  max(round(cf·T/N), minCapacity = 4), round half to even = capacity.ts 'flaxformer' with k = 1
 *                 (MoeLayer: int(round(capacity_factor * tokens_per_group / num_experts)), min_expert_capacity 4)
 *   'vmoe'        ceil(T·cf/N) (or round: `rounding`), an error below 1, raised to a multiple of
 *                 `multipleOf` = 4 (compute_capacity, capacity_ceil_or_round 'ceil', capacity_multiple_of 4)
 *   'fixed'       `expertCapacity` (flaxformer's routers take expert_capacity, vmoe's dispatcher `capacity`)
 * and then 1 ≤ c ≤ T (jax.lax.top_k needs k ≤ the tokens of a group; c = 0 would zero every output).
 *
 * Tie rule: the library's top-k rule (topk.ts `rankDescending`) applied per expert over the tokens of a
 * group: score descending, then the lower token index (jax.lax.top_k's order).
 * Margins: per expert and group, the c-th minus the (c+1)-th score of its column (+Infinity when c = T),
 * so a verifier can tell a near-tie from a wrong choice; per token, the smallest distance of any expert's
 * decision about it from flipping (chosen: its score minus that expert's (c+1)-th score; not chosen: the
 * expert's c-th score minus its own; +Infinity when c = T).
 * Numerics: selection and weights use the float32 scores as read back from the backend; a weight is the
 * float32 score itself (no arithmetic).
 *
 * Shapes: scores [T, N] → expertIndices [G·N, c] int32 (row g·N + e: expert e in group g; token indices
 * into the whole batch, best first), expertWeights [G·N, c], expertMargins [G·N], margins [T],
 * expertsPerToken [T] int32 (0 … N), tokensPerExpert [N] int32 (G·c for every expert).
 */
import { checkInteger, checkOneOf, checkPlainObject, describe, MoEOracleError } from '../tensor/errors.js';
import { checkShape, contiguous, intTensor, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';
import { expertCapacity, vmoeCapacity } from './capacity.js';
import { gap, rankDescending } from './topk.js';

export type ExpertChoiceCapacityFormula = 'paper' | 'flaxformer' | 'vmoe' | 'fixed';
export const EXPERT_CHOICE_CAPACITY_FORMULAS: readonly ExpertChoiceCapacityFormula[] = ['paper', 'flaxformer', 'vmoe', 'fixed'];

/** `MoEConfig.router.expertChoice`: how many tokens each expert takes. Source keys in brackets. */
export interface ExpertChoiceConfig {
  /** Which source's capacity formula (see the file comment). */
  formula: ExpertChoiceCapacityFormula;
  /** cf > 0; required unless formula 'fixed' [capacity_factor, train_capacity_factor / eval_capacity_factor]. */
  factor?: number;
  /** c itself, for formula 'fixed' [expert_capacity, capacity]. */
  expertCapacity?: number;
  /** 'flaxformer' only: lower bound on c, default 4 [min_expert_capacity]. */
  minCapacity?: number;
  /** 'vmoe' only: 'ceil' (default) or 'round' (half to even) [capacity_ceil_or_round]. */
  rounding?: 'ceil' | 'round';
  /** 'vmoe' only: c is raised to a multiple of this, default 4; 1 or 0: none [capacity_multiple_of]. */
  multipleOf?: number;
  /** Tokens per group; default: all tokens of the call form one group. Must divide T [group_size]. */
  groupSize?: number;
}

/** An expert-choice config checked, with the defaults of its formula filled in; itself a valid config. */
export type ResolvedExpertChoiceConfig = ExpertChoiceConfig;

const KEYS_OF_FORMULA: Record<ExpertChoiceCapacityFormula, string[]> = {
  paper: ['factor'],
  flaxformer: ['factor', 'minCapacity'],
  vmoe: ['factor', 'rounding', 'multipleOf'],
  fixed: ['expertCapacity'],
};

/** Checks an expert-choice config; each option belongs to one formula and is refused with another. */
export function resolveExpertChoiceConfig(config: ExpertChoiceConfig, where: string): ResolvedExpertChoiceConfig {
  checkPlainObject(where, config, ['formula', 'factor', 'expertCapacity', 'minCapacity', 'rounding', 'multipleOf', 'groupSize']);
  const formula = checkOneOf(`${where}.formula`, config.formula, EXPERT_CHOICE_CAPACITY_FORMULAS);
  for (const key of ['factor', 'expertCapacity', 'minCapacity', 'rounding', 'multipleOf'] as const) {
    if (config[key] !== undefined && !KEYS_OF_FORMULA[formula].includes(key)) {
      const owners = EXPERT_CHOICE_CAPACITY_FORMULAS.filter((f) => KEYS_OF_FORMULA[f].includes(key)).map((f) => `'${f}'`).join(' or ');
      throw new MoEOracleError(`${where}.${key}`, `no ${key} with formula '${formula}' (it belongs to ${owners})`, describe(config[key]));
    }
  }
  const resolved: ResolvedExpertChoiceConfig = { formula };
  if (formula === 'fixed') resolved.expertCapacity = checkInteger(`${where}.expertCapacity`, config.expertCapacity, 1);
  else resolved.factor = checkPositiveFactor(`${where}.factor`, config.factor);
  if (formula === 'flaxformer') resolved.minCapacity = checkInteger(`${where}.minCapacity`, config.minCapacity ?? 4, 0);
  if (formula === 'vmoe') {
    resolved.rounding = checkOneOf(`${where}.rounding`, config.rounding ?? 'ceil', ['ceil', 'round'] as const);
    resolved.multipleOf = checkInteger(`${where}.multipleOf`, config.multipleOf ?? 4, 0);
  }
  if (config.groupSize !== undefined) resolved.groupSize = checkInteger(`${where}.groupSize`, config.groupSize, 1);
  return resolved;
}

function checkPositiveFactor(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new MoEOracleError(argument, 'a finite capacity factor > 0 (each expert takes about T·cf/N tokens; cf is the mean number of experts per token)', describe(value));
  }
  return value;
}

/**
 * c, the tokens each expert takes from a group of `tokens` tokens, by the named formula. Throws unless
 * 1 ≤ c ≤ tokens. `where` names the config in messages.
 */
export function expertChoiceCapacity(config: ResolvedExpertChoiceConfig, tokens: number, numExperts: number, where = 'router.expertChoice'): number {
  config = resolveExpertChoiceConfig(config, where); // a resolved config resolves to an equal one: the boundary check
  checkInteger('tokens', tokens, 1);
  checkInteger('numExperts', numExperts, 1);
  const factor = config.factor ?? 0;
  let capacity: number;
  switch (config.formula) {
    case 'paper': {
      const exact = (tokens * factor) / numExperts;
      capacity = Math.round(exact);
      // The paper's k = n·c/e is exact arithmetic; allow only float64 rounding noise around an integer.
      if (capacity < 1 || Math.abs(exact - capacity) > 1e-9 * Math.max(1, capacity)) {
        throw new MoEOracleError(
          `${where}.factor`,
          `a factor with T·cf/N a positive integer (formula 'paper' never rounds; 'flaxformer' and 'vmoe' do), T = ${tokens}, N = ${numExperts}`,
          `${factor} (T·cf/N = ${exact})`,
        );
      }
      break;
    }
    case 'flaxformer':
      capacity = expertCapacity({ formula: 'flaxformer', factor, minCapacity: config.minCapacity ?? 4 }, tokens, numExperts, 1);
      break;
    case 'vmoe':
      capacity = vmoeCapacity(tokens, numExperts, factor, config.rounding ?? 'ceil', config.multipleOf ?? 4, where);
      break;
    case 'fixed':
      capacity = config.expertCapacity ?? 0;
      break;
  }
  if (capacity < 1 || capacity > tokens) {
    throw new MoEOracleError(
      `${where} (formula '${config.formula}')`,
      `a capacity c in [1, ${tokens}], the tokens of a group (each expert picks c distinct tokens)`,
      `c = ${capacity}${config.formula === 'flaxformer' ? ' (minCapacity raises it)' : config.formula === 'vmoe' ? ' (multipleOf raises it)' : ''}`,
    );
  }
  return capacity;
}

/** The selection of expert-choice routing (see the file comment for shapes). */
export interface ExpertChoiceOutput {
  /** c: tokens each expert takes per group. */
  capacity: number;
  /** Tokens per group. */
  groupSize: number;
  /** [G·N, c] int32: row g·N + e holds the tokens expert e took in group g, best first. */
  expertIndices: IntTensor;
  /** [G·N, c] the combine weights: each chosen token's score for that expert. */
  expertWeights: Tensor;
  /** [G·N] the c-th minus the (c+1)-th score of each expert's column in its group (+Infinity when c = group size). */
  expertMargins: Tensor;
  /** [T] how close any expert's decision about the token is to flipping (+Infinity when c = group size). */
  margins: Tensor;
  /** [T] int32: how many experts took each token (0 … N). */
  expertsPerToken: IntTensor;
  /** [N] int32: tokens each expert processes, G·c for every expert. */
  tokensPerExpert: IntTensor;
}

/** Tokens per group of a call with T tokens; throws unless it divides T. */
function groupSizeOf(config: ResolvedExpertChoiceConfig, tokens: number): number {
  const groupSize = config.groupSize ?? tokens;
  if (tokens % groupSize !== 0) throw new MoEOracleError('router.expertChoice.groupSize', `a divisor of the number of tokens T = ${tokens}`, String(groupSize));
  return groupSize;
}

/** The shape a replayed expert-choice selection must have for T tokens and N experts: [G·N, c]. */
export function expertChoiceSelectionShape(config: ResolvedExpertChoiceConfig, tokens: number, numExperts: number): [number, number] {
  const groupSize = groupSizeOf(config, tokens);
  return [(tokens / groupSize) * numExperts, expertChoiceCapacity(config, groupSize, numExperts)];
}

/**
 * Checks a user-supplied expert-choice selection (a backend's own choice, for replay): [G·N, c] int32,
 * row g·N + e holding c distinct tokens of group g.
 */
export function checkExpertChoiceSelection(argument: string, selection: IntTensor, config: ResolvedExpertChoiceConfig, tokens: number, numExperts: number): void {
  const [rows, capacity] = expertChoiceSelectionShape(config, tokens, numExperts);
  checkShape(argument, selection, [rows, capacity], { kind: 'int32' });
  const groupSize = groupSizeOf(config, tokens);
  const data = contiguous(selection).data;
  for (let row = 0; row < rows; row++) {
    const start = Math.floor(row / numExperts) * groupSize;
    const seen = new Set<number>();
    for (let j = 0; j < capacity; j++) {
      const t = data[row * capacity + j];
      if (t < start || t >= start + groupSize) throw new MoEOracleError(`${argument}[${row}, ${j}]`, `a token index of group ${row / numExperts | 0}, in [${start}, ${start + groupSize})`, String(t));
      if (seen.has(t)) throw new MoEOracleError(`${argument}[${row}]`, `${capacity} distinct tokens`, `token ${t} twice`);
      seen.add(t);
    }
  }
}

/**
 * Each expert takes its top-c tokens per group. scores [T, N] float32 (softmax over experts), checked
 * by the caller; `selectionOverride` [G·N, c] (checked) replaces the choice, and the weights are then
 * the scores of the replayed tokens while the margins still describe the router's own ranking.
 */
export function chooseTokens(scores: Tensor, config: ResolvedExpertChoiceConfig, selectionOverride?: IntTensor): ExpertChoiceOutput {
  const [tokens, numExperts] = scores.shape;
  const groupSize = groupSizeOf(config, tokens);
  const capacity = expertChoiceCapacity(config, groupSize, numExperts);
  const groups = tokens / groupSize;
  const data = contiguous(scores).data;
  const override = selectionOverride === undefined ? undefined : contiguous(selectionOverride).data;
  const indices = new Int32Array(groups * numExperts * capacity);
  const weights = new Float32Array(groups * numExperts * capacity);
  const expertMargins = new Float32Array(groups * numExperts);
  const margins = new Float32Array(tokens).fill(Infinity);
  const expertsPerToken = new Int32Array(tokens);
  const column = new Float32Array(groupSize);
  for (let g = 0; g < groups; g++) {
    const start = g * groupSize;
    for (let e = 0; e < numExperts; e++) {
      const row = g * numExperts + e;
      for (let i = 0; i < groupSize; i++) column[i] = data[(start + i) * numExperts + e];
      const order = rankDescending(column);
      for (let j = 0; j < capacity; j++) {
        const t = override === undefined ? start + order[j] : override[row * capacity + j];
        indices[row * capacity + j] = t;
        weights[row * capacity + j] = data[t * numExperts + e];
        expertsPerToken[t]++;
      }
      if (capacity === groupSize) {
        expertMargins[row] = Infinity;
        continue;
      }
      const last = column[order[capacity - 1]];
      const firstLeft = column[order[capacity]];
      expertMargins[row] = gap(last, firstLeft);
      // Token margins from the router's own ranking: distance of this expert's decision from flipping.
      order.forEach((i, place) => {
        const distance = place < capacity ? gap(column[i], firstLeft) : gap(last, column[i]);
        margins[start + i] = Math.min(margins[start + i], distance);
      });
    }
  }
  const perExpert = new Int32Array(numExperts).fill(groups * capacity);
  return {
    capacity,
    groupSize,
    expertIndices: intTensor(indices, [groups * numExperts, capacity]),
    expertWeights: tensor(weights, [groups * numExperts, capacity]),
    expertMargins: tensor(expertMargins, [groups * numExperts]),
    margins: tensor(margins, [tokens]),
    expertsPerToken: intTensor(expertsPerToken, [tokens]),
    tokensPerExpert: intTensor(perExpert, [numExperts]),
  };
}
