// The verification that judges the gpujs backend (verifyCaseOn: run the case's component on the
// backend, then the project's `verify`, as for any user's backend) fails deliberately wrong kernels and
// names the family, the case, the output and the element: a linear kernel that reads its weight
// transposed, one that drops the bias, and a top-k that ranks on keys with the expert index packed
// into their low bits (a one-pass GPU sort trick), so that near-ties are broken by index instead of by
// score. A top-k that only breaks exact ties the other way (higher index first) is a near-tie flip:
// accepted by the tie-aware routing rule, listed, and checked by replaying the reference on it.
// The wrong kernels wrap the cpu backend, so this spec runs everywhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuBackend, intTensor, runCaseOn, tensor, verify, verifyCaseOn, type DeviceTensor, type IntTensor, type Kernels, type Tensor } from '../../../src/index.js';
import { readSafetensors } from '../../../src/golden/safetensors.js';
import { outputsAsFile, summarise } from '../../../src/backends/gpujs/verify-cases.js';

const golden = (name: string) => readFileSync(join(import.meta.dirname, '../../../golden', `${name}.safetensors`));
const host = (t: DeviceTensor) => t as Tensor;

/** linear reading W[o, i] at the flat index i·out + o (W as if stored [in, out]): always in range, wrong values. */
const transposedWeight: Kernels = {
  ...cpuBackend,
  linear: (x, weight, bias) => {
    const [T, inFeatures] = x.shape;
    const out = weight.shape[0];
    const y = new Float32Array(T * out);
    for (let t = 0; t < T; t++) {
      for (let o = 0; o < out; o++) {
        let sum = 0;
        for (let i = 0; i < inFeatures; i++) sum += host(x).data[t * inFeatures + i] * host(weight).data[i * out + o];
        y[t * out + o] = sum + (bias === undefined ? 0 : host(bias).data[o]);
      }
    }
    return tensor(y, [T, out]);
  },
};

const droppedBias: Kernels = { ...cpuBackend, linear: (x, weight) => cpuBackend.linear(x, weight) };

/** Top-k on 32-bit keys: the score's float bits with the low 16 bits replaced by (65535 − expert). */
function packedKeyTopK(scores: Tensor, k: number): IntTensor {
  const [T, N] = scores.shape;
  const bits = new Uint32Array(Float32Array.from(scores.data).buffer);
  const indices = new Int32Array(T * k);
  for (let t = 0; t < T; t++) {
    const key = (e: number) => ((bits[t * N + e] & 0xffff0000) | (0xffff - e)) >>> 0; // positive scores: bits order like values
    const ranked = Array.from({ length: N }, (_, e) => e).sort((a, b) => key(b) - key(a));
    indices.set(ranked.slice(0, k), t * k);
  }
  return intTensor(indices, [T, k]);
}

describe('verification of a backend fails wrong kernels, naming family and element', () => {
  it('a linear kernel reading its weight transposed fails the moe family at a named element', async () => {
    const result = await verifyCaseOn(golden('moe/mixtral-tiny'), transposedWeight, 'moe/mixtral-tiny');
    expect(result.passed).toBe(false);
    expect(result.family).toBe('moe');
    expect(result.failures.join('\n')).toMatch(/^moe moe\/mixtral-tiny: outputs\.router_logits: \d+ of \d+ elements beyond tolerance worst element \[\d+, \d+\]: /m);
  });

  it('a linear kernel dropping the bias fails the router family (gpt-oss has a router bias) at a named element', async () => {
    const result = await verifyCaseOn(golden('router/preset-gpt-oss'), droppedBias, 'router/preset-gpt-oss');
    expect(result.passed).toBe(false);
    expect(result.failures.join('\n')).toMatch(/^router router\/preset-gpt-oss: outputs\.logits: .* worst element \[\d+, \d+\]: /m);
    // The same kernel passes a case without bias: the failure is the bias, not the kernel's rounding.
    expect((await verifyCaseOn(golden('router/preset-mixtral'), droppedBias, 'router/preset-mixtral')).passed).toBe(true);
  });

  it('a top-k that breaks near-ties by expert index fails the routing of a named token', async () => {
    // Switch routing (top-1): token 4's two best experts differ by 1.1e-3, beyond the key's 2^-7 resolution.
    const file = readSafetensors(golden('moe/k1-switch'));
    const actual = await runCaseOn(file, cpuBackend);
    actual.topk_indices = packedKeyTopK(actual.router_scores as Tensor, 1);
    const result = summarise(file, actual, verify(file, outputsAsFile(actual)));
    expect(result.passed).toBe(false);
    expect(result.failures.join('\n')).toMatch(/^moe moe\/k1-switch: routing of token 4: experts \[0\], reference \[3\]: margin \S+ ≥ the near-tie threshold/m);
    // The correct top-k on the same scores passes: the failure is the packed keys.
    expect(summarise(file, await runCaseOn(file, cpuBackend), verify(file, outputsAsFile(await runCaseOn(file, cpuBackend)))).passed).toBe(true);
  });

  it('a top-k breaking exact ties by the higher index is a listed near-tie flip, checked by replay', async () => {
    const file = readSafetensors(golden('router/exact-ties-top2'));
    const actual = await runCaseOn(file, cpuBackend);
    const scores = actual.scores as Tensor;
    const [T, N] = scores.shape;
    const indices = new Int32Array(T * 2);
    for (let t = 0; t < T; t++) {
      const ranked = Array.from({ length: N }, (_, e) => e).sort((a, b) => scores.data[t * N + b] - scores.data[t * N + a] || b - a);
      indices.set(ranked.slice(0, 2), t * 2);
    }
    actual.topk_indices = intTensor(indices, [T, 2]);
    const report = verify(file, outputsAsFile(actual));
    expect(report.routing!.nearTies.length).toBeGreaterThan(0);
    expect(report.routing!.mismatches).toEqual([]);
    expect(report.routing!.replayed).toBe(true);
    expect(report.passed).toBe(true);
  });
});
