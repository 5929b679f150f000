// Each load-balancing variant at perfectly uniform routing (zero logits, so p = 1/N for softmax and for
// the normalised sigmoid; each group's tokens spread evenly over the experts, first choices too) and at
// its maximum (every token puts all its probability on expert 0 and chooses experts 0..k−1 in order).
// Derivations, with c_e the count of tokens choosing e, c¹_e of first choices, S tokens per group:
//   hf-mixtral  N/T²·Σ_e c_e·Σ_t p_te:    uniform c_e = kT/N, Σ_t p = T/N → N/T²·N·(kT/N)(T/N) = k;
//               maximum c_0 = T, Σ_t p_t0 = T, other experts have p = 0 → N. (k, N)
//   switch      N/(G·S²)·Σ_g Σ_e c_ge·Σ p: per group as hf-mixtral → k;  maximum → N.
//   megatron    N/(k·T²)·Σ_e c_e·Σ_t p:   (kT/N)(T/N)·N·N/(kT²) = 1;  maximum N/(kT²)·T·T = N/k.
//   megatron-seq, deepseek-v3-seq: the mean of per-sequence megatron losses → 1 and N/k.
//   deepspeed   N/T²·Σ_e c¹_e·Σ_t p:     c¹_e = T/N → 1;  maximum c¹_0 = T → N.
//   gshard      per group as deepspeed → 1 and N.
//   deepseek-v2-expert: megatron → 1 and N/k.
//   deepseek-v2-device  Σ_d f'_d·P'_d: f_j = N·c_j/(kT) = 1 → f'_d = 1, P'_d = 1/D → 1; maximum with
//               k ≤ N/D: experts 0..k−1 on device 0, Σ_{j∈E_0} c_j = kT → f'_0 = (D/N)·(N/(kT))·kT = D,
//               P'_0 = 1 → D.
//   deepseek-v2-comm    Σ_d f''_d·P''_d with each token sent to M devices, evenly: Σ_t 1(t → d) = MT/D →
//               f''_d = 1, P''_d = 1/D → 1; maximum, every token on device 0 only: f''_0 = D/M → D/M.
// Every value scales by α (`coefficient`). A random routing never exceeds the maximum.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intTensor, loadBalancingLoss, tensor, type LoadBalancingOptions, type LoadBalancingVariant } from '../../src/index.js';
import { makeRouting, routingCase, expertsOf, tokensOf } from './loss-cases.js';

interface Expectation { uniform: number; maximum: number }
const expected = (variant: LoadBalancingVariant, N: number, k: number, D: number, M: number): Expectation => {
  switch (variant) {
    case 'hf-mixtral': case 'switch': return { uniform: k, maximum: N };
    case 'megatron': case 'megatron-seq': case 'deepseek-v3-seq': case 'deepseek-v2-expert': return { uniform: 1, maximum: N / k };
    case 'deepspeed': case 'gshard': return { uniform: 1, maximum: N };
    case 'deepseek-v2-device': return { uniform: 1, maximum: D };
    case 'deepseek-v2-comm': return { uniform: 1, maximum: D / M };
    default: throw new Error(variant);
  }
};

const shape = fc.record({ groups: fc.integer({ min: 1, max: 3 }), devices: fc.integer({ min: 1, max: 3 }), perDevice: fc.integer({ min: 1, max: 4 }), scoring: fc.constantFrom<'softmax' | 'sigmoid'>('softmax', 'sigmoid'), alpha: fc.constantFrom(1, 0.01) })
  .filter((s) => s.devices * s.perDevice >= 2)
  .chain((s) => fc.record({ ...Object.fromEntries(Object.entries(s).map(([key, v]) => [key, fc.constant(v)])), k: fc.integer({ min: 1, max: s.perDevice }), M: fc.integer({ min: 1, max: s.devices }) })) as fc.Arbitrary<{ groups: number; devices: number; perDevice: number; scoring: 'softmax' | 'sigmoid'; alpha: number; k: number; M: number }>;

const VARIANTS: LoadBalancingVariant[] = ['hf-mixtral', 'switch', 'megatron', 'megatron-seq', 'deepspeed', 'gshard', 'deepseek-v3-seq', 'deepseek-v2-expert', 'deepseek-v2-device', 'deepseek-v2-comm'];

function optionsFor(variant: LoadBalancingVariant, s: { groups: number; devices: number; scoring: 'softmax' | 'sigmoid'; alpha: number; M: number }): LoadBalancingOptions {
  const base = { variant, coefficient: s.alpha };
  switch (variant) {
    case 'switch': case 'gshard': return { ...base, groups: s.groups };
    case 'megatron': return { ...base, scoring: s.scoring };
    case 'megatron-seq': return { ...base, batchSize: s.groups, tokenOrder: 'batch-major', scoring: s.scoring };
    case 'deepseek-v3-seq': return { ...base, batchSize: s.groups, tokenOrder: 'batch-major' };
    case 'deepseek-v2-device': return { ...base, numDevices: s.devices };
    case 'deepseek-v2-comm': return { ...base, numDevices: s.devices, maxDevicesPerToken: s.M };
    default: return base;
  }
}

/** Zero logits; per group of S = N tokens, token s chooses experts s, s+1, … (mod N); for the comm loss, one expert on each of M devices (s+j mod D). */
function uniformRouting(variant: LoadBalancingVariant, s: { groups: number; devices: number; perDevice: number; k: number; M: number }) {
  const N = s.devices * s.perDevice;
  const comm = variant === 'deepseek-v2-comm';
  const S = N;
  const k = comm ? s.M : s.k;
  const T = s.groups * S;
  const indices = new Int32Array(T * k);
  for (let t = 0; t < T; t++) {
    const position = t % S;
    for (let j = 0; j < k; j++) indices[t * k + j] = comm ? ((position + j) % s.devices) * s.perDevice + (Math.floor(position / s.devices) % s.perDevice) : (position + j) % N;
  }
  return { logits: tensor(new Float32Array(T * N), [T, N]), indices: intTensor(indices, [T, k]), k };
}

/** Logits [40, −40, …]: all probability on expert 0; every token chooses 0, 1, …, k−1. */
function collapsedRouting(s: { groups: number; devices: number; perDevice: number; k: number }) {
  const N = s.devices * s.perDevice;
  const T = s.groups * N;
  const logits = new Float32Array(T * N).fill(-40);
  for (let t = 0; t < T; t++) logits[t * N] = 40;
  return { logits: tensor(logits, [T, N]), indices: intTensor(Array.from({ length: T * s.k }, (_, i) => i % s.k), [T, s.k]) };
}

describe('load-balancing losses at uniform and collapsed routing', () => {
  for (const variant of VARIANTS) {
    it(`${variant}: the published value at uniform routing, its maximum when one expert takes everything`, () => {
      fc.assert(
        fc.property(shape, (s) => {
          const N = s.devices * s.perDevice;
          const uniform = uniformRouting(variant, s);
          const want = expected(variant, N, uniform.k, s.devices, s.M);
          expect(loadBalancingLoss(uniform.logits, uniform.indices, optionsFor(variant, s)).loss).toBeCloseTo(s.alpha * want.uniform, 12);
          const collapsed = collapsedRouting(s);
          const maximum = expected(variant, N, s.k, s.devices, s.M).maximum;
          expect(loadBalancingLoss(collapsed.logits, collapsed.indices, optionsFor(variant, s)).loss).toBeCloseTo(s.alpha * maximum, 12);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('a random routing stays within [0, maximum]', () => {
    fc.assert(
      fc.property(routingCase, (c) => {
        const { logits, indices } = makeRouting(c);
        const N = expertsOf(c);
        for (const variant of ['hf-mixtral', 'megatron', 'deepspeed'] as const) {
          const loss = loadBalancingLoss(logits, indices, { variant }).loss;
          expect(loss).toBeGreaterThanOrEqual(0);
          expect(loss).toBeLessThanOrEqual(expected(variant, N, c.k, 1, 1).maximum * (1 + 1e-12));
        }
        expect(tokensOf(c)).toBeGreaterThan(0);
      }),
    );
  });
});
