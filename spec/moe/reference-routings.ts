// Independent, deliberately naive float64 evaluations of expert choice and Soft MoE, written from the
// papers' formulas (Zhou et al. 2022 §3.2; Puigcerver et al. 2023 Algorithm 1, with vmoe's
// normalisation): no kernels, no batching, no float32 rounding between steps. The layer must agree with
// them to float32 accuracy.
import type { StateDict, Tensor } from '../../src/index.js';
import { act, matVec } from './reference-mixture.js';

type ExpertKind = 'swiglu' | 'relu' | 'gelu' | 'gelu-tanh';

/** One routed expert on one float64 vector: Mixtral names for SwiGLU, Switch names for the classic FFN. */
export function naiveExpert(params: StateDict, e: number, kind: ExpertKind, x: number[]): number[] {
  if (kind === 'swiglu') {
    const g = matVec(params[`experts.${e}.w1.weight`], x);
    const u = matVec(params[`experts.${e}.w3.weight`], x);
    return matVec(params[`experts.${e}.w2.weight`], g.map((v, i) => act.silu(v) * u[i]));
  }
  return matVec(params[`experts.expert_${e}.wo.weight`], matVec(params[`experts.expert_${e}.wi.weight`], x).map(act[kind]));
}

const rowOf = (x: Tensor, t: number) => Array.from(x.data.slice(t * x.shape[1], (t + 1) * x.shape[1]));

function softmax(values: number[]): number[] {
  const m = Math.max(...values);
  const e = values.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * Expert choice: float64 softmax scores per token; per group and expert, sort the group's tokens by
 * score (descending, then index), take c (or the tokens `replay` gives for that row), add
 * score · E_e(x_t) to y_t. Returns y [T·H] and the chosen tokens per row g·N + e.
 */
export function naiveExpertChoice(
  x: Tensor, params: StateDict, options: { numExperts: number; capacity: number; groupSize: number; kind: ExpertKind; routerName: string; bias: boolean; replay?: number[][] },
): { y: number[]; chosen: number[][] } {
  const [T, H] = x.shape;
  const N = options.numExperts;
  const scores = Array.from({ length: T }, (_, t) => {
    const logits = matVec(params[options.routerName], rowOf(x, t));
    if (options.bias) logits.forEach((_, e) => (logits[e] += params[options.routerName.replace(/weight$/, 'bias')].data[e]));
    return softmax(logits);
  });
  const y = new Array<number>(T * H).fill(0);
  const chosen: number[][] = [];
  for (let start = 0; start < T; start += options.groupSize) {
    for (let e = 0; e < N; e++) {
      const tokens = Array.from({ length: options.groupSize }, (_, i) => start + i).sort((a, b) => scores[b][e] - scores[a][e] || a - b);
      const mine = options.replay?.[chosen.length] ?? tokens.slice(0, options.capacity);
      chosen.push(mine);
      for (const t of mine) naiveExpert(params, e, options.kind, rowOf(x, t)).forEach((v, h) => (y[t * H + h] += scores[t][e] * v));
    }
  }
  return { y, chosen };
}

/**
 * Soft MoE (Algorithm 1): logits = n(x)·n(Φ) · scale (normalised form: n(v) = v / √(Σv² + 1e-6), the
 * scale applied once) or x·Φ (plain); D = softmax over tokens, C = softmax over slots; slot inputs
 * Dᵀ·x; each expert on its S slots; y = C·Ỹ. Everything float64. Returns D, C [T·E·S] and y [T·H].
 */
export function naiveSoftMoE(
  x: Tensor, params: StateDict, options: { numExperts: number; slots: number; kind: ExpertKind; normalized: boolean },
): { dispatch: number[]; combine: number[]; y: number[] } {
  const [T, H] = x.shape;
  const ES = options.numExperts * options.slots;
  const mu = params['router.mu'].data; // [H, E, S]
  const scale = options.normalized ? params['router.scale'].data[0] : 1;
  const unit = (v: number[]) => {
    const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0) + 1e-6);
    return options.normalized ? v.map((value) => value / norm) : v;
  };
  const xs = Array.from({ length: T }, (_, t) => unit(rowOf(x, t)));
  const phis = Array.from({ length: ES }, (_, s) => unit(Array.from({ length: H }, (_, h) => mu[h * ES + s])));
  const logits = xs.map((xt) => phis.map((phi) => scale * xt.reduce((a, v, h) => a + v * phi[h], 0)));
  const combine = logits.map(softmax); // per token, over slots
  const dispatchColumns = Array.from({ length: ES }, (_, s) => softmax(logits.map((row) => row[s]))); // per slot, over tokens
  const slotOutputs = dispatchColumns.map((column, s) => {
    const slotInput = new Array<number>(H).fill(0);
    column.forEach((d, t) => rowOf(x, t).forEach((v, h) => (slotInput[h] += d * v)));
    return naiveExpert(params, Math.floor(s / options.slots), options.kind, slotInput);
  });
  const y = new Array<number>(T * H).fill(0);
  for (let t = 0; t < T; t++) for (let s = 0; s < ES; s++) slotOutputs[s].forEach((v, h) => (y[t * H + h] += combine[t][s] * v));
  const dispatch = Array.from({ length: T * ES }, (_, i) => dispatchColumns[i % ES][Math.floor(i / ES)]);
  return { dispatch, combine: combine.flat(), y };
}
