/**
 * Expert capacity and token dropping (GShard, Lepikhin et al. 2020; Switch Transformers, Fedus et al.
 * 2021): each expert takes at most `capacity` slots per group of tokens; the slots beyond it are
 * dropped. Runs on the CPU for every backend (it is selection, i.e. the specification).
 *
 * Capacity per expert and group, T = tokens per group, E = experts, k = top-k, cf = capacity factor,
 * one named formula per source (each reproduces the worked example T=10, E=4, k=2, cf=1):
 *
 *   'megatron'    ceil((T·k / E) · cf)                   NVIDIA/Megatron-LM moe_utils.py get_capacity,
 *                                                         called by apply_router_token_dropping with T·k → 5
 *   'deepspeed'   max(ceil((T / E) · (cf·k)), min)        microsoft/DeepSpeed sharded_moe.py _capacity, called
 *                 min = min_capacity, default 8          from topkgating with capacity_factor·k → max(5, 8) = 8
 *   'tutel'       k · int(cf · ceil(T / E))              microsoft/tutel fast_dispatch.py extract_critical → 2·3 = 6
 *   'flaxformer'  max(round(cf·T / E), min)              google/flaxformer moe_layers.py (expert_capacity);
 *                 round half to even (Python), min = min_expert_capacity, default 4 → max(round(2.5)=2, 4) = 4
 *                 (JavaScript's Math.round would give 3: it rounds .5 up)
 *   'fixed'       an integer                             Hugging Face SwitchTransformersTop1Router (expert_capacity)
 *
 * Arithmetic is float64 in the source's order of operations, then ceil / int / round. (DeepSpeed forms
 * cf·k as a float32 tensor; the result can differ only when T/E·cf·k is within float32 rounding of an
 * integer.)
 *
 * Groups: capacity applies per group of `groupSize` consecutive tokens (flaxformer routes each group,
 * Hugging Face Switch each batch row: flatten [G, S, H] to [G·S, H] and set groupSize = S). Default: all
 * T tokens form one group.
 *
 * Drop policies (which slots an expert keeps, per group):
 *   'position-choice-major'  by position, every first choice before any second choice: the expert's
 *                            queue is (t, j) ordered by (j, t). GShard top-2, Tutel, flaxformer
 *                            (k-major cumsum), DeepSpeed top2gating; for k = 1 also Hugging Face Switch.
 *   'position-token-major'   by position, token by token: the queue is ordered by (t, j). MaxText
 *                            (cumsum over the flattened [S·k] choices). Megatron's 'position' keeps the
 *                            first `capacity` tokens of each expert's column (topk over the 0/1 routing
 *                            map), which is this order under the lower-index tie rule: a token has at most
 *                            one slot per expert, so the rank never decides.
 *   'probs'                  the `capacity` slots with the largest routing weight (Megatron 'probs':
 *                            topk(routing_probs, capacity, dim=0)); ties: lower token index first.
 *
 * A dropped slot contributes, by `dropped`:
 *   'zero'          nothing (the paper, Megatron, flaxformer): its combine weight is 0;
 *   'pass-through'  Hugging Face Switch: `router_probs * hidden_states` returns the token's input
 *                   scaled by its top-1 probability (top-1 only).
 * After a drop (`afterDrop`): 'keep' the kept weights as they are (MaxText, Megatron), or
 * 'renormalize' them to sum to 1 over the kept slots, w_j / max(Σ_kept w, 2^-23) (DeepSpeed topkgating,
 * `normalize_weights`, clamped at float32 eps: a token that lost every slot gets weights 0).
 *
 * Shapes: topkIndices [T, k] int32, topkWeights [T, k] → keptMask [T, k] int32 (1 kept, 0 dropped),
 * positionInExpert [T, k] int32 (0-based place in the expert's queue in its group), combineWeights
 * [T, k], tokensPerExpertBeforeDrop [N], tokensPerExpert [N] (after), droppedCount, dropMargins [T, k].
 */
import { checkFiniteNumber, checkInteger, checkObject, describe, checkOneOf, checkPlainObject, MoEOracleError } from '../tensor/errors.js';
import { contiguous, intTensor, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';

export type CapacityFormula = 'megatron' | 'deepspeed' | 'tutel' | 'flaxformer' | 'fixed';
export type DropPolicy = 'position-choice-major' | 'position-token-major' | 'probs';
export type DroppedTokenOutput = 'zero' | 'pass-through';
export type AfterDrop = 'keep' | 'renormalize';

export const CAPACITY_FORMULAS: readonly CapacityFormula[] = ['megatron', 'deepspeed', 'tutel', 'flaxformer', 'fixed'];
export const DROP_POLICIES: readonly DropPolicy[] = ['position-choice-major', 'position-token-major', 'probs'];

/** Default minimum capacity of each formula (DeepSpeed min_capacity 8, flaxformer min_expert_capacity 4). */
const DEFAULT_MIN_CAPACITY: Record<CapacityFormula, number> = { megatron: 0, deepspeed: 8, tutel: 0, flaxformer: 4, fixed: 0 };

/** Capacity and drop settings, `MoEConfig.router.capacity`. */
export interface CapacityConfig {
  /** Which source's capacity formula. */
  formula: CapacityFormula;
  /** cf > 0; required unless formula 'fixed' [capacity_factor, moe_expert_capacity_factor]. */
  factor?: number;
  /** The capacity itself, for formula 'fixed' [expert_capacity]. */
  expertCapacity?: number;
  /** Lower bound on the capacity; default 8 (deepspeed), 4 (flaxformer), else 0 [min_capacity, min_expert_capacity]. */
  minCapacity?: number;
  /** Default 'position-choice-major' [moe_token_drop_policy, drop_policy]. */
  dropPolicy?: DropPolicy;
  /** What a dropped slot contributes; default 'zero'. */
  dropped?: DroppedTokenOutput;
  /** Default 'keep'. */
  afterDrop?: AfterDrop;
  /** Tokens per group; default: all tokens of the call form one group. Must divide T. */
  groupSize?: number;
}

/**
 * A capacity config checked, with defaults filled in; itself a valid CapacityConfig (factor only for a
 * formula, expertCapacity only for 'fixed', groupSize absent for "all tokens").
 */
export type ResolvedCapacityConfig = CapacityConfig & Required<Pick<CapacityConfig, 'minCapacity' | 'dropPolicy' | 'dropped' | 'afterDrop'>>;

const CAPACITY_KEYS = ['formula', 'factor', 'expertCapacity', 'minCapacity', 'dropPolicy', 'dropped', 'afterDrop', 'groupSize'];

/** Checks a capacity config (k and scaling come from the router config). */
export function resolveCapacityConfig(config: CapacityConfig, topK: number, routedScalingFactor: number, where: string): ResolvedCapacityConfig {
  checkPlainObject(where, config, CAPACITY_KEYS);
  const formula = checkOneOf(`${where}.formula`, config.formula, CAPACITY_FORMULAS);
  const fixed = formula === 'fixed';
  if (fixed && config.factor !== undefined) throw new MoEOracleError(`${where}.factor`, "no factor with formula 'fixed' (set expertCapacity)", String(config.factor));
  if (!fixed && config.expertCapacity !== undefined) throw new MoEOracleError(`${where}.expertCapacity`, `no expertCapacity with formula '${formula}' (set factor)`, String(config.expertCapacity));
  const resolved: ResolvedCapacityConfig = {
    formula,
    ...(fixed
      ? { expertCapacity: checkInteger(`${where}.expertCapacity`, config.expertCapacity, 0) }
      : { factor: checkCapacityFactor(`${where}.factor`, config.factor) }),
    minCapacity: checkInteger(`${where}.minCapacity`, config.minCapacity ?? DEFAULT_MIN_CAPACITY[formula], 0),
    dropPolicy: checkOneOf(`${where}.dropPolicy`, config.dropPolicy ?? 'position-choice-major', DROP_POLICIES),
    dropped: checkOneOf(`${where}.dropped`, config.dropped ?? 'zero', ['zero', 'pass-through'] as const),
    afterDrop: checkOneOf(`${where}.afterDrop`, config.afterDrop ?? 'keep', ['keep', 'renormalize'] as const),
  };
  if (config.groupSize !== undefined) resolved.groupSize = checkInteger(`${where}.groupSize`, config.groupSize, 1);
  if (resolved.dropped === 'pass-through' && topK !== 1) {
    throw new MoEOracleError(`${where}.dropped`, "'zero' when k > 1 (Hugging Face Switch's pass-through is defined for top-1 only)", `'pass-through' with k = ${topK}`);
  }
  if (resolved.afterDrop === 'renormalize' && routedScalingFactor !== 1) {
    throw new MoEOracleError(`${where}.afterDrop`, "'keep' when routedScalingFactor ≠ 1 (renormalising would undo the scaling; no source does both)", `'renormalize' with scaling ${routedScalingFactor}`);
  }
  return resolved;
}

/** A capacity factor must be a finite number > 0 (no source defines a dropless layer by cf ≤ 0 here). */
function checkCapacityFactor(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new MoEOracleError(argument, 'a finite number > 0 (to route without dropping, leave router.capacity out)', describe(value));
  }
  return value;
}

/** Python's round(): to the nearest integer, halves to the even neighbour (exact for doubles). */
export function roundHalfEven(x: number): number {
  checkFiniteNumber('x', x);
  const floor = Math.floor(x);
  const fraction = x - floor; // exact: x and floor(x) share the exponent range
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Capacity per expert for a group of `tokens` tokens, by the named formula (see the file comment). */
export function expertCapacity(config: Pick<ResolvedCapacityConfig, 'formula' | 'factor' | 'expertCapacity' | 'minCapacity'>, tokens: number, numExperts: number, topK: number): number {
  checkObject('config', config, 'a capacity config { formula, factor or expertCapacity, minCapacity }');
  if (checkOneOf('config.formula', config.formula, CAPACITY_FORMULAS) === 'fixed') checkInteger('config.expertCapacity', config.expertCapacity, 0);
  else checkCapacityFactor('config.factor', config.factor);
  checkInteger('config.minCapacity', config.minCapacity, 0);
  checkInteger('tokens', tokens, 0);
  checkInteger('numExperts', numExperts, 1);
  checkInteger('topK', topK, 1);
  const cf = config.factor ?? 0;
  let capacity: number;
  switch (config.formula) {
    case 'megatron':
      capacity = Math.ceil(((tokens * topK) / numExperts) * cf);
      break;
    case 'deepspeed':
      capacity = Math.ceil((tokens / numExperts) * (cf * topK));
      break;
    case 'tutel':
      capacity = topK * Math.trunc(cf * Math.floor((tokens + numExperts - 1) / numExperts));
      break;
    case 'flaxformer':
      capacity = roundHalfEven((cf * tokens) / numExperts);
      break;
    case 'fixed':
      capacity = config.expertCapacity ?? 0;
      break;
  }
  return Math.max(capacity, config.minCapacity);
}

/** One dropped (token, slot) pair. */
export interface DroppedSlot {
  token: number;
  /** The rank j of the choice (0 = first choice). */
  slot: number;
  expert: number;
  /** 0-based place in the expert's queue; ≥ capacity. */
  position: number;
  /** The token's group. */
  group: number;
}

/** What capacity did to a routing. */
export interface CapacityOutput {
  /** Slots each expert may take per group. */
  capacity: number;
  /** Tokens per group. */
  groupSize: number;
  /** [T, k] int32: 1 where the slot was kept, 0 where dropped. */
  keptMask: IntTensor;
  /** [T, k] int32: 0-based place of each slot in its expert's queue (in its group). */
  positionInExpert: IntTensor;
  /** [T, k] weights the combine uses: dropped slots 0 ('zero') or unchanged ('pass-through'); kept ones renormalised under 'renormalize'. */
  combineWeights: Tensor;
  /** [N] int32 slots routed to each expert before dropping (all groups). */
  tokensPerExpertBeforeDrop: IntTensor;
  /** [N] int32 slots each expert processes after dropping. */
  tokensPerExpert: IntTensor;
  /** Number of dropped slots; kept + dropped = T·k. */
  droppedCount: number;
  /** Every dropped slot, in token order. */
  dropped: DroppedSlot[];
  /**
   * [T, k] how far each slot's keep/drop decision is from flipping under 'probs': for a kept slot its
   * weight minus the best dropped weight of that expert and group, for a dropped slot the last kept
   * weight minus its own; +Infinity when the expert was not over capacity or under a position policy
   * (position depends only on the indices, whose flips the routing margins describe).
   */
  dropMargins: Tensor;
}

/**
 * Applies capacity to a routing. topkIndices [T, k] (checked), topkWeights [T, k] float32.
 * `keptOverride` [T, k] (0/1, checked by the router) replaces the policy's keep/drop decisions (a
 * backend's drops replayed); positions and drop margins stay the policy's own.
 * Throws when groupSize does not divide T, or when the override keeps more slots of an expert in a
 * group than its capacity.
 */
export function applyCapacity(topkIndices: IntTensor, topkWeights: Tensor, numExperts: number, config: ResolvedCapacityConfig, keptOverride?: IntTensor): CapacityOutput {
  const [tokens, k] = topkIndices.shape;
  const groupSize = config.groupSize ?? tokens;
  if (tokens % groupSize !== 0) {
    throw new MoEOracleError('router.capacity.groupSize', `a divisor of the number of tokens T = ${tokens}`, String(groupSize));
  }
  const capacity = expertCapacity(config, groupSize, numExperts, k);
  const indices = contiguous(topkIndices).data;
  const weights = contiguous(topkWeights).data;
  const kept = new Int32Array(tokens * k);
  const position = new Int32Array(tokens * k);
  const dropMargins = new Float32Array(tokens * k).fill(Infinity);
  const before = new Int32Array(numExperts);
  const after = new Int32Array(numExperts);
  const override = keptOverride === undefined ? undefined : contiguous(keptOverride).data;

  for (let start = 0; start < tokens; start += groupSize) {
    // Each expert's queue of slots s = t·k + j in this group, in the policy's priority order.
    const queues: number[][] = Array.from({ length: numExperts }, () => []);
    const visit = (t: number, j: number) => queues[indices[t * k + j]].push(t * k + j);
    if (config.dropPolicy === 'position-choice-major') {
      for (let j = 0; j < k; j++) for (let t = start; t < start + groupSize; t++) visit(t, j);
    } else {
      for (let t = start; t < start + groupSize; t++) for (let j = 0; j < k; j++) visit(t, j);
    }
    for (let e = 0; e < numExperts; e++) {
      const queue = queues[e];
      if (config.dropPolicy === 'probs') queue.sort((a, b) => (weights[a] === weights[b] ? a - b : weights[b] - weights[a]));
      before[e] += queue.length;
      queue.forEach((slot, place) => {
        position[slot] = place;
        if (place < capacity) kept[slot] = 1;
      });
      const keptByPolicy = (slot: number) => position[slot] < capacity;
      if (override !== undefined) {
        let keptHere = 0;
        for (const slot of queue) keptHere += (kept[slot] = override[slot]);
        if (keptHere > capacity) {
          throw new MoEOracleError(`keptOverride (expert ${e}, group ${start / groupSize})`, `at most the capacity, ${capacity} kept slots`, String(keptHere));
        }
        after[e] += keptHere;
      } else after[e] += Math.min(queue.length, capacity);
      if (config.dropPolicy === 'probs' && queue.length > capacity) {
        const lastKept = capacity > 0 ? weights[queue[capacity - 1]] : Infinity;
        const bestDropped = weights[queue[capacity]];
        for (const slot of queue) dropMargins[slot] = keptByPolicy(slot) ? weights[slot] - bestDropped : lastKept - weights[slot];
      }
    }
  }

  const combine = new Float32Array(tokens * k);
  const dropped: DroppedSlot[] = [];
  for (let t = 0; t < tokens; t++) {
    let keptSum = 0;
    for (let j = 0; j < k; j++) if (kept[t * k + j]) keptSum += weights[t * k + j];
    const denominator = config.afterDrop === 'renormalize' ? Math.max(keptSum, 2 ** -23) : 1;
    for (let j = 0; j < k; j++) {
      const s = t * k + j;
      if (kept[s]) combine[s] = weights[s] / denominator;
      else {
        combine[s] = config.dropped === 'pass-through' ? weights[s] : 0;
        dropped.push({ token: t, slot: j, expert: indices[s], position: position[s], group: Math.floor(t / groupSize) });
      }
    }
  }
  return {
    capacity,
    groupSize,
    keptMask: intTensor(kept, [tokens, k]),
    positionInExpert: intTensor(position, [tokens, k]),
    combineWeights: tensor(combine, [tokens, k]),
    tokensPerExpertBeforeDrop: intTensor(before, [numExperts]),
    tokensPerExpert: intTensor(after, [numExperts]),
    droppedCount: dropped.length,
    dropped,
    dropMargins: tensor(dropMargins, [tokens, k]),
  };
}

/** One sentence per dropped slot: "token 7 lost expert 3 (choice 2): over capacity 4 at position 5 of group 0". */
export function explainDrops(result: CapacityOutput): string[] {
  checkObject('result', result, 'a CapacityOutput (RouterOutput.capacity)');
  if (!Array.isArray(result.dropped) || !result.dropped.every((d) => typeof d === 'object' && d !== null)) {
    throw new MoEOracleError('result.dropped', 'an array of dropped slots', describe(result.dropped));
  }
  return result.dropped.map(
    (d) => `token ${d.token} lost expert ${d.expert} (choice ${d.slot + 1}): over capacity ${result.capacity} at position ${d.position} (0-based) of group ${d.group}`,
  );
}

/**
 * vmoe's `compute_capacity(num_tokens, num_experts, capacity_factor, ceil_or_round, multiple_of)`
 * (google-research/vmoe vmoe/moe.py): int(ceil(T·cf/E)) or int(round(T·cf/E)) (Python's round, half
 * to even), an error when below 1, then raised to a multiple of `multipleOf` (vmoe's default 4; 0 or 1:
 * none). Used by vmoe's expert choice (`get_top_items_per_expert_dispatcher`, T = group size) and by
 * Soft MoE's slot count (`SoftRouter`: 'round', multiple_of 1). `where` names the config in errors.
 */
export function vmoeCapacity(tokens: number, numExperts: number, factor: number, rounding: 'ceil' | 'round', multipleOf: number, where: string): number {
  const exact = (tokens * factor) / numExperts;
  let capacity = rounding === 'ceil' ? Math.ceil(exact) : roundHalfEven(exact);
  if (capacity < 1) {
    throw new MoEOracleError(`${where}.factor`, `a capacity factor with ${rounding}(T·cf/E) ≥ 1 (vmoe compute_capacity), T = ${tokens}, E = ${numExperts}`, `${factor} (${rounding}(${exact}) = ${capacity})`);
  }
  if (multipleOf > 1) capacity += (multipleOf - (capacity % multipleOf)) % multipleOf;
  return capacity;
}
