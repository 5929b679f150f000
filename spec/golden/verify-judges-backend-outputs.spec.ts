// verify: a float32-noisy backend passes, a perturbed one fails at the perturbed element, a
// near-tie routing flip passes (listed, and checked by replay), a real routing disagreement fails,
// bf16 outputs pass only under the bf16 tolerance, a missing main output fails, and unusable files
// raise MoEOracleError.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type SafetensorsFile } from '../../src/golden/safetensors.js';
import { routingMismatchReason, verify } from '../../src/golden/verify.js';
import { replayWith } from './replay-with.js';
import { littleEndian, rawSafetensors } from './raw-safetensors.js';
import { intTensor, MoEOracleError, tensor, uniformAt, type IntTensor, type Tensor } from '../../src/index.js';

const load = (name: string): SafetensorsFile => readSafetensors(readFileSync(`golden/${name}.safetensors`));

/** A backend file: the golden outputs, each float moved by `ulps` float32 ulps in a pseudo-random direction. */
function backendOutputs(golden: SafetensorsFile, edit: (name: string, t: Tensor | IntTensor) => Tensor | IntTensor = (_, t) => t): SafetensorsFile {
  const tensors: SafetensorsFile['tensors'] = {};
  for (const [name, t] of Object.entries(golden.tensors)) if (name.startsWith('outputs.')) tensors[name] = edit(name.slice(8), t);
  return { tensors, metadata: {}, dtypes: {} };
}

function nudgeUlps(t: Tensor, ulps: number, seed: number): Tensor {
  const data = new Float32Array(t.data);
  const bits = new Int32Array(data.buffer);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]) || data[i] === 0) continue;
    bits[i] += uniformAt(seed, 'noise', i) < 0.5 ? -ulps : ulps; // same sign: moves the magnitude by `ulps` ulps
  }
  return tensor(data, t.shape);
}

describe('verify', () => {
  it('passes a float32-noisy backend (a few ulps on every output)', () => {
    const golden = load('moe/deepseek-v3-tiny');
    const actual = backendOutputs(golden, (_, t) => (t.data instanceof Float32Array ? nudgeUlps(t as Tensor, 3, 1) : t));
    const report = verify(golden, actual);
    expect(report.passed).toBe(true);
    expect(report.comparisons.find((c) => c.name === 'y')!.kind).toBe('float32');
  });

  it('fails a perturbed backend and points at the perturbed element', () => {
    const golden = load('moe/mixtral-tiny');
    const actual = backendOutputs(golden, (name, t) => {
      if (name !== 'y') return t;
      const y = tensor(new Float32Array(t.data as Float32Array), t.shape);
      y.data[3 * 32 + 5] += 1e-3;
      return y;
    });
    const report = verify(golden, actual);
    expect(report.passed).toBe(false);
    const y = report.comparisons.find((c) => c.name === 'y')!;
    expect(y.passed).toBe(false);
    expect(y.kind === 'float32' && y.worst?.index).toEqual([3, 5]);
    expect(y.kind === 'float32' && y.beyondTolerance).toBe(1);
  });

  it('accepts a near-tie routing flip, lists the token, and checks it against the replayed reference', () => {
    const golden = load('moe/exact-ties');
    const reference = golden.tensors['outputs.topk_indices'] as IntTensor;
    const flipped = Int32Array.from(reference.data, (e) => ({ 0: 3, 1: 2, 2: 1, 3: 0 })[e]!); // tied partners
    const actual = replayWith(golden, intTensor(flipped, reference.shape));
    const report = verify(golden, actual);
    expect(report.passed).toBe(true);
    expect(report.routing!.replayed).toBe(true);
    expect(report.routing!.nearTies.map((d) => d.token)).toEqual(Array.from({ length: reference.shape[0] }, (_, t) => t));
    expect(report.routing!.mismatches).toEqual([]);

    // The same flip with the reference's (unflipped) outputs must fail: the replay is really checked.
    const stale = backendOutputs(golden, (name, t) => (name === 'topk_indices' ? intTensor(flipped, reference.shape) : t));
    expect(verify(golden, stale).passed).toBe(false);
  });

  it('on a near-tie token, refuses a swapped-in expert far from the k-th selection score', () => {
    // moe/exact-ties: rows 1 = 2 and 0 = 3 of the router tie, so every token's margin is 0 (a near-tie).
    // Swapping to the tied partner is a legitimate flip (above); swapping to an expert of the OTHER pair
    // is not: the small margin says the k-th and (k+1)-th are close, not that any expert may stand in.
    const golden = load('moe/exact-ties');
    const reference = golden.tensors['outputs.topk_indices'] as IntTensor;
    const otherPair = Int32Array.from(reference.data, (e) => ({ 0: 1, 1: 0, 2: 0, 3: 1 })[e]!);
    const report = verify(golden, replayWith(golden, intTensor(otherPair, reference.shape)));
    expect(report.passed).toBe(false);
    expect(report.routing!.nearTies).toEqual([]);
    expect(report.routing!.mismatches.length).toBe(reference.shape[0]);
    for (const d of report.routing!.mismatches) {
      expect(d.margin).toBe(0);
      expect(d.farExpert?.expert).toBe(d.actual[0]);
      expect(routingMismatchReason(d)).toMatch(/^expert \d is .* from the k-th selection score, beyond the near-tie threshold/);
    }
  });

  it('fails a routing disagreement that is not a near-tie', () => {
    const golden = load('moe/mixtral-tiny');
    const reference = golden.tensors['outputs.topk_indices'] as IntTensor;
    const changed = Int32Array.from(reference.data);
    const unchosen = [0, 1, 2, 3, 4, 5, 6, 7].find((e) => e !== changed[0] && e !== changed[1])!;
    changed[1] = unchosen; // token 0's second choice
    const report = verify(golden, replayWith(golden, intTensor(changed, reference.shape)));
    expect(report.passed).toBe(false);
    expect(report.routing!.mismatches.map((d) => d.token)).toEqual([0]);
  });

  it('judges bf16-rounded outputs by the bf16 tolerance, not the fp32 one', () => {
    const golden = load('moe/mixtral-tiny');
    const toBf16 = (t: Tensor) => {
      const data = new Float32Array(t.data);
      const bits = new Uint32Array(data.buffer);
      for (let i = 0; i < bits.length; i++) bits[i] = ((bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) & 0xffff0000) >>> 0; // round to nearest even
      return tensor(data, t.shape);
    };
    const actual = backendOutputs(golden, (name, t) => (name === 'y' ? toBf16(t as Tensor) : t));
    expect(verify(golden, actual, { dtype: 'fp32' }).passed).toBe(false);
    expect(verify(golden, actual, { dtype: 'bf16' }).passed).toBe(true);
  });

  it('infers bf16 tolerances from a backend that stores its output as BF16', () => {
    const golden = load('moe/mixtral-tiny');
    const y = golden.tensors['outputs.y'] as Tensor;
    const bits = new Uint32Array(new Float32Array(y.data).buffer);
    const bf16 = Array.from(bits, (b) => ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff); // round to nearest even
    const header = { 'outputs.y': { dtype: 'BF16', shape: y.shape, data_offsets: [0, 2 * bf16.length] } };
    const actual = readSafetensors(rawSafetensors(header, littleEndian('u16', bf16)));
    expect(actual.dtypes['outputs.y']).toBe('BF16');
    const report = verify(golden, actual);
    expect(report.dtype).toBe('bf16');
    expect(report.passed).toBe(true);
    expect(verify(golden, actual, { dtype: 'fp32' }).passed).toBe(false);
  });

  it('judges margins on the scale of the scores: score-sized noise on a zero margin passes, a wrong margin fails', () => {
    const golden = load('moe/exact-ties');
    const withMargins = (value: number) =>
      backendOutputs(golden, (name, t) => (name === 'margins' ? tensor(new Float32Array(t.size).fill(value), t.shape) : t));
    expect(verify(golden, withMargins(1e-7)).passed).toBe(true);
    const wrong = verify(golden, withMargins(1e-2));
    expect(wrong.passed).toBe(false);
    expect(wrong.comparisons.find((c) => c.name === 'margins')!.passed).toBe(false);
  });

  it('fails a backend without the main output, and raises MoEOracleError for a wrongly shaped output', () => {
    const golden = load('moe/mixtral-tiny');
    const empty = verify(golden, { tensors: {}, metadata: {}, dtypes: {} });
    expect(empty.passed).toBe(false);
    expect(empty.problems.join()).toMatch(/did not provide outputs\.y/);
    const wrong = backendOutputs(golden, (name, t) => (name === 'y' ? tensor(new Float32Array(t.size), [t.shape[1], t.shape[0]]) : t));
    expect(() => verify(golden, wrong)).toThrow(/outputs\.y.*expected shape \[24, 32\], got \[32, 24\]/);
  });
});
