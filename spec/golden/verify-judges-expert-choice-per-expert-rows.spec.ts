// verify on expert-choice cases: the routing is compared row by row (one row per expert and group, the
// tokens it took, as a set), with the per-expert margins deciding what a near-tie is. A backend that
// takes the other of two exactly tied tokens passes, listed as a near-tie and checked against the
// reference replayed on its choice; a backend that swaps a token where the margin is clear fails; and
// Soft MoE cases, which select nothing, are compared element by element only.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type SafetensorsFile } from '../../src/golden/safetensors.js';
import { verify } from '../../src/golden/verify.js';
import { replayWith } from './replay-with.js';
import { intTensor, tensor, type IntTensor } from '../../src/index.js';

const load = (name: string): SafetensorsFile => readSafetensors(readFileSync(`golden/${name}.safetensors`));

describe('verify with expert choice', () => {
  const golden = load('router/expert-choice-tied-tokens');
  const reference = golden.tensors['outputs.expert_indices'] as IntTensor;
  const margins = golden.tensors['outputs.expert_margins'].data;

  it('accepts the other of two tied tokens, lists it and replays it', () => {
    // Expert 0 took token 2 as its last; token 7 is an exact copy of token 2 (margin 0).
    expect(margins[0]).toBe(0);
    const flipped = Int32Array.from(reference.data);
    expect(flipped[2]).toBe(2);
    flipped[2] = 7;
    const report = verify(golden, replayWith(golden, intTensor(flipped, reference.shape)));
    expect(report.passed).toBe(true);
    expect(report.routing?.nearTies.map((d) => d.token)).toEqual([0]); // row 0: expert 0 of group 0
    expect(report.routing?.replayed).toBe(true);
    expect(report.comparisons.find((c) => c.name === 'experts_per_token')?.passed).toBe(true);
  });

  it('fails a backend that swaps a token where the margin is clear', () => {
    const row = 1; // expert 1, margin well above any float32 rounding
    expect(margins[row]).toBeGreaterThan(0.01);
    const swapped = Int32Array.from(reference.data);
    const taken = new Set(Array.from(swapped.slice(row * 3, row * 3 + 3)));
    swapped[row * 3 + 2] = [...Array(12).keys()].find((t) => !taken.has(t))!;
    const report = verify(golden, replayWith(golden, intTensor(swapped, reference.shape)));
    expect(report.passed).toBe(false);
    expect(report.routing?.mismatches.map((d) => d.token)).toEqual([row]);
  });

  it('compares a Soft MoE case element by element, with no routing to judge', () => {
    const soft = load('moe/soft-moe-vmoe');
    const actual: SafetensorsFile = { tensors: Object.fromEntries(Object.entries(soft.tensors).filter(([n]) => n.startsWith('outputs.'))), metadata: {}, dtypes: {} };
    const report = verify(soft, actual);
    expect(report.passed).toBe(true);
    expect(report.routing).toBeNull();
    expect(report.comparisons.map((c) => c.name).sort()).toEqual(['combine_weights', 'dispatch_weights', 'router_logits', 'slot_inputs', 'slot_outputs', 'y']);
    // One output element moved by 1e-4 of its size is far beyond float32 rounding: verify names it.
    const y = new Float32Array(soft.tensors['outputs.y'].data);
    y[5] += 1e-4 * Math.abs(y[5]) + 1e-9;
    const perturbed = verify(soft, { ...actual, tensors: { ...actual.tensors, 'outputs.y': tensor(y, soft.tensors['outputs.y'].shape) } });
    expect(perturbed.passed).toBe(false);
    expect(perturbed.comparisons.filter((c) => !c.passed).map((c) => c.name)).toEqual(['y']);
  });
});
