// router-backward/k1-sum: with k = 1 and 'sum' the routing weight is 1 whatever the logits, so every
// gradient is 0 up to rounding (the reference's float64 noise is ~1e-18). A float32 backend's rounding
// noise follows the size of the terms that cancel (~1e-16 here), not their sum: the tolerance model
// takes max(RMS of the reference, the output's declared term scale) as its magnitude
// (output-tolerance.ts, router-backward's outputs in components.ts). So float32-sized noise on these
// gradients passes, while a real error of the gradients' working scale still fails; and the term scale
// never loosens an ordinary case by more than 1.25× (checked on every committed router-backward case).
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getComponent } from '../../src/golden/components.js';
import { outputTolerance } from '../../src/golden/output-tolerance.js';
import { readSafetensors, type SafetensorsFile } from '../../src/golden/safetensors.js';
import { readCaseMetadata, verify } from '../../src/golden/verify.js';
import { referenceMagnitude, defaultTolerance } from '../../src/golden/tolerance.js';
import { tensor, type Tensor } from '../../src/index.js';
import { tensorsUnder } from '../../src/golden/case.js';

const load = (name: string): SafetensorsFile => readSafetensors(readFileSync(`golden/${name}.safetensors`));
const GRADIENTS = ['grad_logits', 'grad_gate_weight', 'grad_x'];

function withGradients(golden: SafetensorsFile, edit: (t: Tensor) => Tensor): SafetensorsFile {
  const tensors: SafetensorsFile['tensors'] = {};
  for (const [name, t] of Object.entries(golden.tensors)) {
    if (!name.startsWith('outputs.')) continue;
    tensors[name] = GRADIENTS.includes(name.slice(8)) ? edit(t as Tensor) : t;
  }
  return { tensors, metadata: {}, dtypes: {} };
}

describe('a gradient that cancels to zero', () => {
  it('passes float32-sized rounding noise (1e-15) and fails a real error (1e-3)', () => {
    const golden = load('router-backward/k1-sum');
    const plus = (amount: number) => (t: Tensor) => tensor(Float32Array.from(t.data, (v, i) => v + (i % 2 === 0 ? amount : -amount)), t.shape);
    expect(verify(golden, withGradients(golden, plus(1e-15))).passed).toBe(true);
    const wrong = verify(golden, withGradients(golden, plus(1e-3)));
    expect(wrong.passed).toBe(false);
    expect(wrong.comparisons.filter((c) => GRADIENTS.includes(c.name) && !c.passed).map((c) => c.name).sort()).toEqual([...GRADIENTS].sort());
  });

  it('the term scale loosens no committed router-backward case by more than 1.25×', () => {
    for (const file of readdirSync('golden/router-backward')) {
      const golden = load(`router-backward/${file.replace(/\.safetensors$/, '')}`);
      const { component, config } = readCaseMetadata(golden);
      const c = getComponent(component.name);
      const caseTensors = { outputs: tensorsUnder(golden.tensors, 'outputs.'), inputs: tensorsUnder(golden.tensors, 'inputs.'), params: tensorsUnder(golden.tensors, 'params.') as Record<string, Tensor> };
      for (const name of GRADIENTS) {
        const withScale = outputTolerance(c, config, name, caseTensors, 'fp32');
        const ownMagnitude = defaultTolerance({ dtype: 'fp32', reductionLength: c.reductionLength(config, name), magnitude: referenceMagnitude(caseTensors.outputs[name] as Tensor) });
        if (file === 'k1-sum.safetensors') expect(withScale.atol / ownMagnitude.atol, `${file} ${name}`).toBeGreaterThan(1e15);
        else expect(withScale.atol / ownMagnitude.atol, `${file} ${name}`).toBeLessThanOrEqual(1.25);
      }
    }
  });
});
