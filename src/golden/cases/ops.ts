/**
 * Golden cases of the building blocks: top-k with ties and −Infinity masks, the expert FFNs,
 * softmax / log-sum-exp at extreme logits, RMSNorm and the activations over their whole range.
 */
import type { ExpertKind } from '../../experts/kind.js';
import { initMoEParams } from '../../moe/params.js';
import { randomNormal, randomUniform } from '../../tensor/prng.js';
import { tensor } from '../../tensor/tensor.js';
import type { GoldenCase } from '../case.js';

/** Scores with many exact ties (values from a small set) and some −Infinity (masked) entries. */
function tiedScores(tokens: number, columns: number, seed: number) {
  const levels = [-Infinity, -1, 0, 0.25, 0.5, 1];
  const u = randomUniform([tokens, columns], { seed, name: 'inputs.scores' });
  return tensor(Array.from(u.data, (v) => levels[Math.floor(v * levels.length)]), [tokens, columns]);
}

function expertCase(kind: ExpertKind, seed: number): GoldenCase {
  const hiddenSize = 24;
  const intermediateSize = 64;
  return {
    name: `expert/${kind}`,
    component: 'expert',
    description: kind === 'swiglu' ? 'SwiGLU expert w2(silu(w1 x) * w3 x), Mixtral names.' : `Classic FFN expert wo(${kind}(wi x)), Switch names.`,
    config: { hiddenSize, intermediateSize, kind },
    seed,
    make() {
      const layer = initMoEParams(
        { hiddenSize, numExperts: 1, expertIntermediateSize: intermediateSize, router: { topK: 1 }, expertKind: kind },
        seed,
      );
      const params = Object.fromEntries(Object.entries(layer).filter(([n]) => n.includes('xpert')).map(([n, t]) => [n.replace(/^experts\.(expert_)?0\./, ''), t]));
      return { inputs: { x: randomNormal([8, hiddenSize], { seed, name: 'inputs.x', std: 2 }) }, params };
    },
  };
}

export const opCases: GoldenCase[] = [
  {
    name: 'topk/ties-and-masks',
    component: 'topk',
    description: 'top-3 over scores with many exact ties and -Infinity masks: value descending, then lower index; margins 0 on ties.',
    config: { k: 3 },
    seed: 200,
    make: () => ({ inputs: { scores: tiedScores(32, 8, 200) }, params: {} }),
  },
  {
    name: 'topk/k1-random',
    component: 'topk',
    description: 'top-1 over random normal scores (no ties).',
    config: { k: 1 },
    seed: 201,
    make: () => ({ inputs: { scores: randomNormal([32, 16], { seed: 201, name: 'inputs.scores' }) }, params: {} }),
  },
  expertCase('swiglu', 210),
  expertCase('relu', 211),
  expertCase('gelu', 212),
  expertCase('gelu-tanh', 213),
  {
    name: 'ops/softmax-extreme',
    component: 'softmax',
    description: 'Softmax and log-sum-exp over logits of ±1e4, -Infinity masks and ordinary values.',
    config: {},
    seed: 220,
    make() {
      const rows = [
        [1e4, -1e4, 0, 1e4 - 1, -Infinity, 3],
        [-1e4, -1e4 + 1e-3 * 1e4, -Infinity, -Infinity, -1e4, -9999.5],
        [0, 0, 0, 0, 0, 0],
        [-Infinity, 5, -Infinity, -Infinity, -Infinity, -Infinity],
      ];
      const random = randomNormal([12, 6], { seed: 220, name: 'inputs.logits', std: 4 });
      return { inputs: { logits: tensor([...rows.flat(), ...random.data], [16, 6]) }, params: {} };
    },
  },
  {
    name: 'ops/rmsnorm',
    component: 'rmsnorm',
    description: 'RMSNorm with eps = 1e-6 (Llama / DeepSeek default) over random rows, one row of tiny values.',
    config: { eps: 1e-6 },
    seed: 230,
    make() {
      const x = randomNormal([8, 32], { seed: 230, name: 'inputs.x', std: 3 });
      for (let h = 0; h < 32; h++) x.data[h] *= 1e-4;
      return { inputs: { x }, params: { weight: randomUniform([32], { seed: 230, name: 'weight', low: 0.5, high: 1.5 }) } };
    },
  },
  {
    name: 'ops/activations',
    component: 'activation',
    description: 'sigmoid, silu, relu, gelu (erf) and gelu_tanh from -30 to 30, tails included.',
    config: {},
    seed: 240,
    make() {
      const grid = Array.from({ length: 241 }, (_, i) => -30 + i * 0.25);
      return { inputs: { x: tensor(grid, [241]) }, params: {} };
    },
  },
];
