// Activations against values computed independently by Python (math.erf, math.tanh, math.exp),
// plus the algebraic identities they must satisfy.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';

const xs = [-30, -9, -5, -3.5, -1, -0.25, 0, 1e-6, 0.5, 1, 2.5, 7, 30].map(Math.fround);

describe.each(SPEC_BACKENDS)('activations ($name backend)', ({ kernels }) => {
  const { sigmoid, silu, relu, gelu, geluTanh } = entryPointsOn(kernels);
  it('match Python float64 formulas rounded to float32', () => {
    const script = [
      'import json,math,sys,struct',
      'f32=lambda v: struct.unpack("f",struct.pack("f",v))[0]',
      'xs=json.load(sys.stdin)',
      'sig=lambda x: 1/(1+math.exp(-x)) if x>=0 else math.exp(x)/(1+math.exp(x))',
      'print(json.dumps({"sigmoid":[f32(sig(x)) for x in xs],"silu":[f32(x*sig(x)) for x in xs],',
      '"gelu":[f32(0.5*x*math.erfc(-x/math.sqrt(2))) for x in xs],',
      '"gelu_tanh":[f32(0.5*x*(1+math.tanh(math.sqrt(2/math.pi)*(x+0.044715*x**3)))) for x in xs]}))',
    ].join('\n');
    const ref = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(xs) }).toString());
    const x = tensor(xs, [xs.length]);
    const ulps = (a: ArrayLike<number>, b: number[]) => a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]) <= 2 ** -22 * Math.abs(b[i]));
    expect(ulps(sigmoid(x).data, ref.sigmoid)).toBe(true);
    expect(ulps(silu(x).data, ref.silu)).toBe(true);
    expect(ulps(gelu(x).data, ref.gelu)).toBe(true);
    expect(ulps(geluTanh(x).data, ref.gelu_tanh)).toBe(true);
  });

  it('satisfy silu(x) − silu(−x) = x, sigmoid(x) + sigmoid(−x) = 1, relu(x) − relu(−x) = x', () => {
    fc.assert(
      fc.property(fc.float({ min: -50, max: 50, noNaN: true }), (v) => {
        const x = tensor([v, -v], [2]);
        const s = silu(x).data, g = sigmoid(x).data, r = relu(x).data;
        expect(Math.abs(s[0] - s[1] - Math.fround(v))).toBeLessThanOrEqual(4 * 2 ** -23 * Math.max(1, Math.abs(v)));
        expect(Math.abs(g[0] + g[1] - 1)).toBeLessThanOrEqual(2 ** -23);
        expect(r[0] - r[1]).toBe(Math.fround(v) === 0 ? 0 : Math.fround(v));
      }),
    );
  });
});
