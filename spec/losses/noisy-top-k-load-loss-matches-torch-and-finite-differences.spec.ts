// Shazeer et al.'s load loss of noisy top-k (src/losses/load.ts):
// - against torch float64 autograd on a literal transcription of davidmrau's / tensor2tensor's
//   `_prob_in_top_k` and `cv_squared` (H rounded to float32 as our router rounds it, by a straight-through
//   correction so the gradient stays float64: backprop through `.float()` would round it to float32): loss to 1e-12 relative, gradients to 2^-22 relative + 1e-12 of the largest.
//   Skipped, with the reason, where /usr/bin/python3 has no torch (CI): the checks below hold without it.
// - central finite differences in float64 with ε = 0 (then H = c exactly, so a step in c or r is taken
//   exactly and only truncation h²/6·|L'''| and float64 cancellation remain): h = 2^-12, bound
//   1e-6·(1 + |L|) + 2^-22·|g|. This covers dL/dc through P's own logit and through the thresholds, and
//   dL/dr through the standard deviation.
// - the hard limit: as the noise scale goes to 0, P_te → 1 for the k chosen experts and 0 for the rest,
//   so the smooth load equals the top-k counts (r = −40, stddevEpsilon 0: s ≈ 4e-18, every z huge).
// - equal loads give CV² = 0; the loss is invariant to permuting tokens.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MoEOracleError, noisyTopKLoadLoss, randomNormal, tensor, topK, type NoisyLoadSource, type Tensor } from '../../src/index.js';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = probe.status === 0;
if (!hasTorch) console.warn(`noisy load loss torch cross-check skipped: ${PYTHON} cannot import torch`);

const SCRIPT = String.raw`
import json, sys, torch
from torch.distributions.normal import Normal
def run(d):
    T, N, k, se = d['T'], d['N'], d['k'], d['stddevEpsilon']
    c = torch.tensor(d['clean'], dtype=torch.float64).view(T, N).requires_grad_(True)
    r = torch.tensor(d['raw'], dtype=torch.float64).view(T, N).requires_grad_(True)
    eps = torch.tensor(d['noise'], dtype=torch.float64).view(T, N)
    std = torch.nn.functional.softplus(r) + se
    exact = c + eps * std
    noisy = exact + (exact.detach().float().double() - exact.detach())   # the router's float32 H, float64 gradient
    top, _ = noisy.topk(k + 1, dim=1)
    flat = top.flatten(); m = top.size(1)
    pos_in = torch.arange(T) * m + k
    th_in = flat.gather(0, pos_in).unsqueeze(1)
    is_in = noisy > th_in
    th_out = flat.gather(0, pos_in - 1).unsqueeze(1)
    normal = Normal(torch.tensor([0.0], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64))
    prob = torch.where(is_in, normal.cdf((c - th_in) / std), normal.cdf((c - th_out) / std))
    load = prob.sum(0)
    if d['source'] == 'davidmrau':
        loss = load.var() / (load.mean() ** 2 + 1e-10)
    else:
        size = N + 1e-10
        mean = load.sum() / size
        loss = ((load - mean) ** 2).sum() / size / (mean ** 2 + 1e-10)
    loss.backward()
    return {'loss': loss.item(), 'load': load.tolist(), 'gc': c.grad.view(-1).tolist(), 'gr': r.grad.view(-1).tolist()}
print(json.dumps([run(d) for d in json.load(sys.stdin)]))
`;

function makeCase(T: number, N: number, seed: number, noiseScale = 1) {
  const clean = randomNormal([T, N], { seed, name: 'clean' });
  const raw = randomNormal([T, N], { seed, name: 'raw', std: 1 });
  const noise = randomNormal([T, N], { seed, name: 'router.noise', std: noiseScale });
  return { clean, raw, noise };
}

function nudged(t: Tensor, i: number, value: number): Tensor {
  const copy = tensor(t.data.slice(), t.shape);
  copy.data[i] = value;
  return copy;
}

const sources: NoisyLoadSource[] = ['tensor2tensor', 'davidmrau'];

describe('noisy top-k load loss (Shazeer et al. 2017)', () => {
  it.skipIf(!hasTorch)('equals torch float64 autograd on the published formula, value and both gradients', () => {
    const cases = [1, 2, 3, 4].flatMap((seed) => sources.map((source) => ({ seed, source, k: 1 + (seed % 3), T: 10, N: 6 })));
    const payload = cases.map((c) => {
      const { clean, raw, noise } = makeCase(c.T, c.N, c.seed);
      return { ...c, stddevEpsilon: 1e-2, clean: Array.from(clean.data), raw: Array.from(raw.data), noise: Array.from(noise.data) };
    });
    const run = spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(payload), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const torchResults = JSON.parse(run.stdout) as { loss: number; load: number[]; gc: number[]; gr: number[] }[];
    cases.forEach((c, i) => {
      const { clean, raw, noise } = makeCase(c.T, c.N, c.seed);
      const ours = noisyTopKLoadLoss(clean, raw, noise, { source: c.source, topK: c.k });
      const theirs = torchResults[i];
      expect(Math.abs(ours.loss - theirs.loss)).toBeLessThanOrEqual(1e-12 * Math.abs(theirs.loss) + 1e-15);
      ours.load.data.forEach((v, e) => expect(Math.abs(v - theirs.load[e])).toBeLessThanOrEqual(2 ** -23 * Math.abs(theirs.load[e])));
      for (const [mine, expected] of [[ours.gradLogits.data, theirs.gc], [ours.gradNoiseLogits.data, theirs.gr]] as const) {
        const largest = Math.max(...expected.map(Math.abs));
        mine.forEach((g, j) => expect(Math.abs(g - expected[j]), `${c.source} seed ${c.seed} element ${j}`).toBeLessThanOrEqual(2 ** -22 * Math.abs(expected[j]) + 1e-12 * largest));
      }
    });
  });

  it('both gradients equal central finite differences in float64 (ε = 0, h = 2^-12)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 7 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(...sources), (N, T, seed, source) => {
        const k = 1 + (seed % (N - 1));
        const { clean, raw } = makeCase(T, N, seed);
        const zero = tensor(new Float32Array(T * N), [T, N]);
        const loss = (c: Tensor, r: Tensor) => noisyTopKLoadLoss(c, r, zero, { source, topK: k }).loss;
        const result = noisyTopKLoadLoss(clean, raw, zero, { source, topK: k });
        const h = 2 ** -12;
        for (const [which, tensorOf, grad] of [['clean', clean, result.gradLogits], ['noise logits', raw, result.gradNoiseLogits]] as const) {
          for (let i = 0; i < T * N; i++) {
            const up = Math.fround(tensorOf.data[i] + h);
            const down = Math.fround(tensorOf.data[i] - h);
            const at = (v: number) => (which === 'clean' ? loss(nudged(clean, i, v), raw) : loss(clean, nudged(raw, i, v)));
            // A step that reorders the clean logits crosses a kink of the estimator: skip that element.
            if (which === 'clean' && !sameRanking(clean, nudged(clean, i, up), nudged(clean, i, down), T, N)) continue;
            const fd = (at(up) - at(down)) / (up - down);
            const g = grad.data[i];
            expect(Math.abs(g - fd), `${which} element ${i}: ${g} vs ${fd}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(result.loss)) + 2 ** -22 * Math.abs(g));
          }
        }
      }),
      { numRuns: 30 },
    );
  });

  it('with a vanishing noise scale the smooth load equals the top-k counts', () => {
    for (const source of sources) {
      const T = 12, N = 5, k = 2;
      const { clean, noise } = makeCase(T, N, 9);
      const raw = tensor(new Float32Array(T * N).fill(-40), [T, N]);
      const result = noisyTopKLoadLoss(clean, raw, noise, { source, topK: k, stddevEpsilon: 0 });
      const counts = new Array<number>(N).fill(0);
      topK(clean, k).indices.data.forEach((e) => counts[e]++);
      expect(Array.from(result.load.data)).toEqual(counts);
    }
  });

  it('a worked example: loads [3, 1, 0] give CV² 7/3 ÷ 16/9 = 21/16 (davidmrau) and 14/9 ÷ 16/9 = 7/8 (tensor2tensor)', () => {
    // Vanishing noise (r = −40, stddevEpsilon 0), k = 1, tokens choosing experts 0, 0, 0, 1: the smooth load
    // is the count [3, 1, 0]. Mean 4/3; Σ(load − mean)² = 25/9 + 1/9 + 16/9 = 42/9.
    // davidmrau: torch var() = 42/9 / (N − 1) = 7/3, CV² = 7/3 / (16/9 + 1e-10) ≈ 21/16.
    // tensor2tensor: population variance 42/9 / 3 = 14/9, CV² = 14/9 / (16/9 + 1e-10) ≈ 7/8 (the 1e-10 added
    // to N moves it by about 1e-10 relative).
    const clean = tensor([2, 0, -1, 3, 1, 0, 1, -2, -3, 0, 4, 1], [4, 3]);
    const raw = tensor(new Float32Array(12).fill(-40), [4, 3]);
    const noise = tensor(new Float32Array(12), [4, 3]);
    const david = noisyTopKLoadLoss(clean, raw, noise, { source: 'davidmrau', topK: 1, stddevEpsilon: 0 });
    const t2t = noisyTopKLoadLoss(clean, raw, noise, { source: 'tensor2tensor', topK: 1, stddevEpsilon: 0 });
    expect(Array.from(david.load.data)).toEqual([3, 1, 0]);
    expect(Math.abs(david.loss - 21 / 16)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(t2t.loss - 7 / 8)).toBeLessThanOrEqual(1e-9);
  });

  it('equal loads give zero loss, and permuting tokens leaves the loss unchanged', () => {
    // Token t's logits are a cyclic shift of one row by t, so over N tokens every expert sees the same values.
    const N = 5, base = [0.3, -1.2, 2.0, 0.7, -0.4], noiseRow = [0.5, -0.1, 1.2, -2.0, 0.3], rawRow = [0.2, -0.5, 0.1, 1.0, -1.0];
    const shifted = (row: number[]) => tensor(Array.from({ length: N * N }, (_, i) => row[(i % N - Math.floor(i / N) + N) % N]), [N, N]);
    for (const source of sources) {
      const equal = noisyTopKLoadLoss(shifted(base), shifted(rawRow), shifted(noiseRow), { source, topK: 2 });
      expect(equal.loss).toBeLessThanOrEqual(1e-12);
      const { clean, raw, noise } = makeCase(8, 4, 3);
      const order = [5, 2, 7, 0, 1, 6, 3, 4];
      const permute = (t: Tensor) => tensor(order.flatMap((r) => Array.from(t.data.slice(r * 4, r * 4 + 4))), [8, 4]);
      const a = noisyTopKLoadLoss(clean, raw, noise, { source, topK: 2 }).loss;
      const b = noisyTopKLoadLoss(permute(clean), permute(raw), permute(noise), { source, topK: 2 }).loss;
      expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.abs(a));
    }
  });

  it('bad input gets the project error naming the argument', () => {
    const { clean, raw, noise } = makeCase(4, 3, 1);
    const bad: [() => unknown, RegExp][] = [
      [() => noisyTopKLoadLoss(clean, raw, noise, { source: 'davidmrau', topK: 3 }), /topK: expected an integer in \[1, 2\]/],
      [() => noisyTopKLoadLoss(clean, tensor(new Float32Array(8), [4, 2]), noise, { source: 'davidmrau', topK: 1 }), /noiseLogits: expected shape \[4, 3\]/],
      [() => noisyTopKLoadLoss(clean, raw, noise, { source: 'shazeer' as never, topK: 1 }), /source: expected one of/],
      [() => noisyTopKLoadLoss(nudged(clean, 0, NaN), raw, noise, { source: 'davidmrau', topK: 1 }), /cleanLogits: expected finite values/],
    ];
    for (const [call, message] of bad) expect(call).toThrow(MoEOracleError), expect(call).toThrow(message);
  });
});

/** True when nudging one clean logit up and down keeps every token's order (ε = 0, so H = c). */
function sameRanking(base: Tensor, up: Tensor, down: Tensor, T: number, N: number): boolean {
  const orderOf = (t: Tensor, row: number) => Array.from({ length: N }, (_, e) => e).sort((a, b) => t.data[row * N + b] - t.data[row * N + a] || a - b).join();
  for (let row = 0; row < T; row++) if (orderOf(up, row) !== orderOf(base, row) || orderOf(down, row) !== orderOf(base, row)) return false;
  return true;
}
