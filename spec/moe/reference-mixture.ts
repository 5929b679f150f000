// An independent, deliberately naive MoE: for each token, score every expert in float64, sort,
// pick k, and evaluate the chosen experts' formulas directly on that token. No dispatch, no
// batching, no float32 rounding between steps. The layer must agree with it to float32 accuracy.
import { erfc } from '../../src/tensor/erf.js';
import type { MoEConfig, StateDict, Tensor } from '../../src/index.js';

export function matVec(w: Tensor, x: number[]): number[] {
  const [rows, cols] = w.shape;
  return Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w.data[r * cols + c] * x[c];
    return s;
  });
}

export const act = {
  silu: (v: number) => v / (1 + Math.exp(-v)),
  relu: (v: number) => Math.max(v, 0),
  gelu: (v: number) => 0.5 * v * erfc(-v / Math.SQRT2),
  'gelu-tanh': (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
};

/** Mixtral-named SwiGLU experts, softmax or sigmoid scoring, 'sum' or 'none' weights, optional DeepSeek-named shared expert. */
export function naiveMixture(
  x: Tensor,
  params: StateDict,
  config: MoEConfig,
  expertName = (e: number, m: string) => `experts.${e}.${m}.weight`,
  routerName = 'gate.weight',
): number[] {
  const [T, H] = x.shape;
  const N = config.numExperts;
  const k = config.mode === 'dense' ? N : config.router.topK;
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    const xt = Array.from(x.data.slice(t * H, (t + 1) * H));
    const logits = matVec(params[routerName], xt);
    let scores: number[];
    if (config.router.scoring === 'sigmoid') scores = logits.map((z) => 1 / (1 + Math.exp(-z)));
    else {
      const m = Math.max(...logits);
      const e = logits.map((z) => Math.exp(z - m));
      const sum = e.reduce((a, b) => a + b, 0);
      scores = e.map((v) => v / sum);
    }
    const order = scores.map((s, e) => [s, e]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, e]) => e);
    const chosen = order.slice(0, k);
    let weights = chosen.map((e) => scores[e]);
    if ((config.router.normalization ?? 'sum') === 'sum' && config.mode !== 'dense') {
      const sum = weights.reduce((a, b) => a + b, 0);
      weights = weights.map((w) => w / sum);
    }
    if (config.mode !== 'dense') weights = weights.map((w) => w * (config.router.routedScalingFactor ?? 1));
    const y = new Array<number>(H).fill(0);
    const addExpert = (name: (m: string) => string, weight: number) => {
      const kind = config.expertKind ?? 'swiglu';
      let hidden: number[];
      if (kind === 'swiglu') {
        const g = matVec(params[name('w1')], xt), u = matVec(params[name('w3')], xt);
        hidden = g.map((v, i) => act.silu(v) * u[i]);
        matVec(params[name('w2')], hidden).forEach((v, h) => (y[h] += weight * v));
      } else {
        hidden = matVec(params[name('wi')], xt).map(act[kind as 'relu' | 'gelu' | 'gelu-tanh']);
        matVec(params[name('wo')], hidden).forEach((v, h) => (y[h] += weight * v));
      }
    };
    chosen.forEach((e, j) => addExpert((m) => expertName(e, m), weights[j]));
    if (config.sharedExpertIntermediateSize) addExpert((m) => `shared_experts.${m}.weight`, 1);
    out.push(...y);
  }
  return out;
}
