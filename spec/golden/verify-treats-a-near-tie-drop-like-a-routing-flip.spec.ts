// Capacity with the 'probs' drop policy keeps each expert's highest-weight slots, so a near-tie of
// weights can move which token drops while every token's experts stay the same. verify treats that
// like a routing flip: a slot kept by one side and dropped by the other is accepted when the
// reference's drop margin is below twice the tolerance of the slot's weight, listed, and the reference
// is replayed with the backend's kept slots (so the backend's outputs are still checked); a moved drop
// with a large margin fails.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleCase } from '../../src/golden/case.js';
import { getComponent } from '../../src/golden/components.js';
import { readSafetensors, type SafetensorsFile } from '../../src/golden/safetensors.js';
import { verify } from '../../src/golden/verify.js';
import { initMoEParams, intTensor, randomNormal, tensor, type IntTensor, type MoEConfig, type Tensor } from '../../src/index.js';
import { moeConfigToHuggingFace } from '../../src/hf/index.js';

const asFile = (outputs: Record<string, Tensor | IntTensor>): SafetensorsFile => ({ tensors: Object.fromEntries(Object.entries(outputs).map(([n, t]) => [`outputs.${n}`, t])), metadata: {}, dtypes: {} });

/** Two identical tokens, one expert slot of capacity: the 'probs' policy keeps the first (tie rule), with drop margin 0. */
function tiedDropCase() {
  const config: MoEConfig = { hiddenSize: 8, numExperts: 2, expertIntermediateSize: 16, router: { topK: 1, normalization: 'none', capacity: { formula: 'fixed', expertCapacity: 1, dropPolicy: 'probs' } } };
  const params = initMoEParams(config, 3);
  const row = randomNormal([1, 8], { seed: 3, name: 'inputs.x' }).data;
  const x = tensor(Float32Array.from([...row, ...row]), [2, 8]);
  const component = getComponent('moe');
  const parsed = component.parseConfig(moeConfigToHuggingFace(config));
  const outputs = component.run(parsed, { x }, params);
  const built = assembleCase({ name: 'spec/tied-drop', description: 'two identical tokens, one slot', component: 'moe', config: parsed, seed: 3, inputs: { x }, params, outputs });
  return { golden: { ...built, dtypes: {} } as SafetensorsFile, component, parsed, x, params, outputs };
}

describe('verify and capacity drops', () => {
  it('accepts a drop moved by an exact tie of weights, lists both slots, and checks the outputs against the replay', () => {
    const { golden, component, parsed, x, params, outputs } = tiedDropCase();
    expect(Array.from((outputs.kept_mask as IntTensor).data)).toEqual([1, 0]);
    expect(Array.from((outputs.drop_margins as Tensor).data)).toEqual([0, 0]);
    // A backend that breaks the tie the other way keeps token 1 and drops token 0.
    const other = component.run(parsed, { x }, params, undefined, { keptOverride: intTensor([0, 1], [2, 1]) });
    const report = verify(golden, asFile(other));
    expect(report.passed).toBe(true);
    expect(report.routing!.dropNearTies.map((d) => [d.token, d.reference, d.actual])).toEqual([[0, 1, 0], [1, 0, 1]]);
    expect(report.routing!.replayed).toBe(true);
    // The same kept mask with the reference's (unmoved) outputs fails: the replay is really compared.
    expect(verify(golden, asFile({ ...outputs, kept_mask: other.kept_mask })).passed).toBe(false);
  });

  it('fails a moved drop whose drop margin is above the threshold, and names the slot', () => {
    const golden = readSafetensors(readFileSync('golden/moe/capacity-megatron-probs.safetensors'));
    const outputs = Object.fromEntries(Object.entries(golden.tensors).filter(([n]) => n.startsWith('outputs.')).map(([n, t]) => [n.slice(8), t]));
    const kept = Int32Array.from((outputs.kept_mask as IntTensor).data);
    [kept[16], kept[38]] = [kept[38], kept[16]]; // token 8 choice 1 kept ↔ token 19 choice 1 dropped (drop margin 7.6e-3)
    expect([kept[16], kept[38]]).toEqual([0, 1]);
    const report = verify(golden, asFile({ ...outputs, kept_mask: intTensor(kept, [24, 2]) }));
    expect(report.passed).toBe(false);
    expect(report.routing!.dropMismatches.map((d) => [d.token, d.slot])).toEqual([[8, 0], [19, 0]]);
    expect(report.routing!.dropNearTies).toEqual([]);
  });
});
