// erf/erfc are ours (JavaScript has none); check them against CPython's math.erf / math.erfc
// (C99 libm), an independent implementation, over the range GELU uses, tails included.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { erf, erfc } from '../../src/tensor/erf.js';

const points: number[] = [];
for (let x = -12; x <= 12; x += 0.0625) points.push(x);
points.push(1e-9, -1e-9, 0.3, 1.999999, 2.000001, 26, -26);

describe('erf and erfc', () => {
  it('agree with Python math.erf / math.erfc to 1e-14 relative', () => {
    const script = 'import json,math,sys\nxs=json.load(sys.stdin)\nprint(json.dumps([[math.erf(x),math.erfc(x)] for x in xs]))';
    const reference = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(points) }).toString()) as number[][];
    points.forEach((x, i) => {
      const [erfRef, erfcRef] = reference[i];
      expect(Math.abs(erf(x) - erfRef), `erf(${x})`).toBeLessThanOrEqual(1e-14 * Math.abs(erfRef) + 1e-300);
      expect(Math.abs(erfc(x) - erfcRef), `erfc(${x})`).toBeLessThanOrEqual(1e-13 * Math.abs(erfcRef) + 1e-300);
    });
  });
});
