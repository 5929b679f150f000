// One rule per output: the {atol, rtol} a golden file's `tolerances` metadata stores are exactly the
// ones `verify` applies for fp32 compute (the margins included: judged on the scale of the scores),
// so whoever judges a backend by the metadata judges it as verify does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensorsUnder } from '../../src/golden/case.js';
import { readSafetensors } from '../../src/golden/safetensors.js';
import { verify } from '../../src/golden/verify.js';

describe('golden metadata tolerances', () => {
  it('equal the tolerances verify applies, for every float output of every committed case', () => {
    const index = JSON.parse(readFileSync('golden/index.json', 'utf8')) as { cases: Array<{ file: string }> };
    let margins = 0;
    for (const { file } of index.cases) {
      const golden = readSafetensors(new Uint8Array(readFileSync(`golden/${file}`)));
      const stored = JSON.parse(golden.metadata.tolerances) as Record<string, { atol: number; rtol: number }>;
      const report = verify(golden, { tensors: golden.tensors, metadata: {}, dtypes: {} }, { dtype: 'fp32' });
      expect(report.passed, file).toBe(true);
      const floats = Object.entries(tensorsUnder(golden.tensors, 'outputs.')).filter(([, t]) => t.data instanceof Float32Array).map(([n]) => n);
      expect(Object.keys(stored).sort(), file).toEqual(floats.sort());
      for (const comparison of report.comparisons) {
        if (comparison.kind !== 'float32') continue;
        expect(comparison.tolerance, `${file} ${comparison.name}`).toEqual({ atol: stored[comparison.name].atol, rtol: stored[comparison.name].rtol });
        if (comparison.name === 'margins') margins++;
      }
    }
    expect(margins).toBeGreaterThan(20);
  });
});
