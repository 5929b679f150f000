// The gpt-oss and Llama 4 layers against a naive float64 evaluation written from the Hugging Face
// modules (modeling_gpt_oss.py GptOssTopKRouter + GptOssExperts, modeling_llama4.py Llama4Router +
// Llama4TextMoe), reading the fused checkpoint tensors directly:
//  - gpt-oss: logits = x·Wᵀ + b, top-k of the logits, softmax over them; gate_up = x·gate_up_proj[e] + bias,
//    gate = even columns, up = odd columns, g = min(gate, 7), u = clamp(up, ±7),
//    y += w · (((u + 1)·g·σ(1.702·g))·down_proj[e] + down_bias[e]);
//  - Llama 4: top-1 of the logits, s = σ(logit), y = shared(x) + E(s·x), gate = first half, up = second half.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, MoEOracleError, type MoEConfig, type StateDict, type Tensor } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { expectClose, maxAbs, randomInput } from '../helpers.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const silu = (v: number) => v * sigmoid(v);

/** Row t of x · W[e] for a fused [E, in, out] tensor W. */
function fusedRow(W: Tensor, e: number, x: ArrayLike<number>): number[] {
  const [, rows, cols] = W.shape;
  return Array.from({ length: cols }, (_, c) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r] * W.data[e * rows * cols + r * cols + c];
    return s;
  });
}

function naiveGptOss(x: Tensor, p: StateDict, k: number): number[] {
  const [T, H] = x.shape;
  const N = p['router.weight'].shape[0];
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    const xt = Array.from(x.data.slice(t * H, (t + 1) * H));
    const logits = Array.from({ length: N }, (_, e) => xt.reduce((s, v, h) => s + v * p['router.weight'].data[e * H + h], p['router.bias'].data[e]));
    const chosen = logits.map((v, e) => [Math.fround(v), e]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map((q) => q[1]);
    const top = chosen.map((e) => logits[e]);
    const m = Math.max(...top);
    const z = top.reduce((s, v) => s + Math.exp(v - m), 0);
    const y = new Array<number>(H).fill(0);
    chosen.forEach((e, j) => {
      const w = Math.exp(top[j] - m) / z;
      const gateUp = fusedRow(p['experts.gate_up_proj'], e, xt).map((v, c) => v + p['experts.gate_up_proj_bias'].data[e * p['experts.gate_up_proj'].shape[2] + c]);
      const I = gateUp.length / 2;
      const act = Array.from({ length: I }, (_, i) => {
        const g = Math.min(gateUp[2 * i], 7);
        const u = Math.min(Math.max(gateUp[2 * i + 1], -7), 7);
        return (u + 1) * g * sigmoid(1.702 * g);
      });
      fusedRow(p['experts.down_proj'], e, act).forEach((v, h) => (y[h] += w * (v + p['experts.down_proj_bias'].data[e * H + h])));
    });
    out.push(...y);
  }
  return out;
}

function naiveLlama4(x: Tensor, p: StateDict): number[] {
  const [T, H] = x.shape;
  const N = p['router.weight'].shape[0];
  const matVec = (w: Tensor, v: number[]) => Array.from({ length: w.shape[0] }, (_, r) => v.reduce((s, a, c) => s + a * w.data[r * w.shape[1] + c], 0));
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    const xt = Array.from(x.data.slice(t * H, (t + 1) * H));
    const logits = Array.from({ length: N }, (_, e) => Math.fround(xt.reduce((s, v, h) => s + v * p['router.weight'].data[e * H + h], 0)));
    let best = 0;
    for (let e = 1; e < N; e++) if (logits[e] > logits[best]) best = e;
    const scaled = xt.map((v) => v * sigmoid(logits[best]));
    const gateUp = fusedRow(p['experts.gate_up_proj'], best, scaled);
    const I = gateUp.length / 2;
    const act = Array.from({ length: I }, (_, i) => silu(gateUp[i]) * gateUp[I + i]);
    const routed = fusedRow(p['experts.down_proj'], best, act);
    const g = matVec(p['shared_expert.gate_proj.weight'], xt), u = matVec(p['shared_expert.up_proj.weight'], xt);
    const shared = matVec(p['shared_expert.down_proj.weight'], g.map((v, i) => silu(v) * u[i]));
    out.push(...routed.map((v, h) => v + shared[h]));
  }
  return out;
}

const shape = fc.record({
  tokens: fc.integer({ min: 1, max: 8 }), hidden: fc.integer({ min: 1, max: 10 }), numExperts: fc.integer({ min: 1, max: 6 }),
  intermediate: fc.integer({ min: 1, max: 8 }), seed: fc.integer({ min: 0, max: 0xffffffff }), scale: fc.constantFrom(1, 30),
});

describe.each(SPEC_BACKENDS)('gpt-oss and Llama 4 layers ($name backend)', ({ kernels }) => {
  const { moeForward } = entryPointsOn(kernels);

  it('gpt-oss: biased router, softmax over the top-k logits, clamped SwiGLU experts with biases (interleaved columns)', () => {
    fc.assert(
      fc.property(shape, (s) => {
        const k = Math.min(4, s.numExperts);
        const config: MoEConfig = { hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate, expertKind: 'gpt-oss', router: { topK: k, normalization: 'softmax-topk', bias: true } };
        const params = initMoEParams(config, s.seed);
        for (const name of ['experts.gate_up_proj', 'experts.gate_up_proj_bias']) params[name].data.forEach((v, i, d) => (d[i] = v * s.scale)); // ×30: past the ±7 clamp
        const x = randomInput(s.tokens, s.hidden, s.seed);
        const out = moeForward(x, params, config);
        if (Array.from(out.router.margins.data).some((m) => m < 1e-5)) return; // near-ties may resolve either way in float64
        const expected = naiveGptOss(x, params, k);
        expectClose(out.output.data, expected, 64 * 2 ** -23 * (maxAbs(expected) + 1e-6));
      }),
      { numRuns: 40 },
    );
  });

  it("Llama 4: top-1 on the logits, sigmoid(logit) scales the expert's input, plus the shared expert (gate half, up half)", () => {
    fc.assert(
      fc.property(shape, (s) => {
        const config: MoEConfig = {
          hiddenSize: s.hidden, numExperts: s.numExperts, expertIntermediateSize: s.intermediate, sharedExpertIntermediateSize: s.intermediate, naming: 'llama4',
          routerWeightOn: 'input', router: { topK: 1, scoring: 'sigmoid', normalization: 'none', selectOn: 'logits' },
        };
        const params = initMoEParams(config, s.seed);
        const x = randomInput(s.tokens, s.hidden, s.seed, s.scale);
        const out = moeForward(x, params, config);
        // Skip exact ties of the logits themselves (sigmoid scores saturate to 1 and tie far more often:
        // Llama 4 ranks the logits, so a token whose two best logits differ must pick the larger).
        for (let t = 0; t < s.tokens; t++) {
          const row = Array.from(out.router.logits.data.slice(t * s.numExperts, (t + 1) * s.numExperts)).sort((a, b) => b - a);
          if (row.length > 1 && row[0] === row[1]) return;
        }
        const expected = naiveLlama4(x, params);
        expectClose(out.output.data, expected, 64 * 2 ** -23 * (maxAbs(expected) + 1e-6));
        // The weight is σ(chosen logit), the top-1 of the logits.
        for (let t = 0; t < s.tokens; t++) expect(out.router.topkWeights.data[t]).toBeCloseTo(sigmoid(out.router.logits.data[t * s.numExperts + out.router.topkIndices.data[t]]), 6);
      }),
      { numRuns: 40 },
    );
  });

  it('bad configs name the key', () => {
    const bad: [MoEConfig, string][] = [
      [{ hiddenSize: 4, numExperts: 2, expertIntermediateSize: 4, expertKind: 'gpt-oss', naming: 'mixtral', router: { topK: 1 } }, 'config.naming'],
      [{ hiddenSize: 4, numExperts: 2, expertIntermediateSize: 4, expertKind: 'gpt-oss', sharedExpertIntermediateSize: 4, router: { topK: 1 } }, 'config.sharedExpertIntermediateSize'],
      [{ hiddenSize: 4, numExperts: 2, expertIntermediateSize: 4, naming: 'llama4', routerWeightOn: 'input', mode: 'dense', router: { topK: 1 } }, 'config.routerWeightOn'],
      [{ hiddenSize: 4, numExperts: 2, expertIntermediateSize: 4, router: { topK: 1, selectOn: 'logits', scoreCorrectionBias: true, scoring: 'sigmoid' } }, 'config.router.selectOn'],
    ];
    for (const [config, argument] of bad) {
      let caught: unknown;
      try {
        moeForward(randomInput(2, 4, 0), initMoEParams({ hiddenSize: 4, numExperts: 2, expertIntermediateSize: 4, router: { topK: 1 } }, 0), config);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(MoEOracleError);
      expect((caught as MoEOracleError).argument).toBe(argument);
    }
  });
});
