// Non-finite values, shape and dtype mismatches and int32 tensors get their own verdicts; reports
// render one line per tensor and JSON without Infinity/NaN numbers.
import { describe, expect, it } from 'vitest';
import { compareAnyTensors, compareIntTensors, compareTensors, comparisonToJson, formatComparison } from '../../src/golden/compare.js';
import { MoEOracleError } from '../../src/tensor/errors.js';
import { intTensor, tensor, type Tensor } from '../../src/tensor/tensor.js';
import { float32FromBits } from './raw-safetensors.js';

const loose = { atol: 1e-3, rtol: 1e-3 };

describe('non-finite values', () => {
  it('counts non-finite reference entries apart and accepts a matching NaN (any payload) or same-sign Infinity', () => {
    const reference = tensor(float32FromBits([0x7fc00000, 0x7f800000, 0xff800000, 0x3f800000]), [4]);
    const actual = tensor(float32FromBits([0xffc0beef, 0x7f800000, 0xff800000, 0x3f800000]), [4]);
    const result = compareTensors('masked', reference, actual, loose);
    expect(result.passed).toBe(true);
    expect(result.nonFiniteReference).toEqual({ count: 3, matched: 3, firstMismatch: null });
    expect(result.ulp.histogram['0']).toBe(1); // only the finite pair enters the statistics
  });

  it('fails when a non-finite reference entry is not matched (Infinity of the other sign, a finite value)', () => {
    const result = compareTensors('masked', tensor([Infinity, -Infinity, NaN], [3]), tensor([-Infinity, -1e30, NaN], [3]), loose);
    expect(result.passed).toBe(false);
    expect(result.nonFiniteReference).toEqual({ count: 3, matched: 1, firstMismatch: { index: [0], reference: Infinity, actual: -Infinity } });
    expect(result.reasons).toEqual(['2 non-finite reference values not matched']);
  });

  it('fails on a non-finite actual value where the reference is finite, keeping it out of the error statistics', () => {
    const result = compareTensors('y', tensor([1, 2, 3, 4], [2, 2]), tensor([1, NaN, 3, Infinity], [2, 2]), loose);
    expect(result.passed).toBe(false);
    expect(result.nonFiniteActual).toEqual({ count: 2, first: { index: [0, 1], reference: 2, actual: NaN } });
    expect(result.maxAbsError).toBe(0);
    expect(result.reasons).toEqual(['2 non-finite actual values where the reference is finite']);
  });

  it('leaves reference zeros out of the relative error (the absolute error judges them)', () => {
    const result = compareTensors('z', tensor([0, 2], [2]), tensor([1e-4, 2.002], [2]), loose);
    expect(result.maxAbsError).toBeCloseTo(0.002, 6);
    expect(result.maxRelError).toBeCloseTo(0.001, 6);
    expect(result.passed).toBe(true);
  });
});

describe('mismatched tensors', () => {
  it('reports a shape mismatch as a failed comparison, not an exception', () => {
    const result = compareTensors('y', tensor([1, 2, 3, 4], [2, 2]), tensor([1, 2, 3, 4], [4]), loose);
    expect(result).toMatchObject({ passed: false, compared: false, reasons: ['shape mismatch: reference [2, 2], actual [4]'] });
    expect(compareIntTensors('i', intTensor([1], [1]), intTensor([1, 2], [2])).reasons).toEqual(['shape mismatch: reference [1], actual [2]']);
  });

  it('reports different element types as a failed comparison', () => {
    const asFloat = compareAnyTensors('idx', tensor([1, 2], [2]), intTensor([1, 2], [2]), loose);
    expect(asFloat).toMatchObject({ kind: 'float32', passed: false, reasons: ['dtype mismatch: reference float32, actual int32'] });
    const asInt = compareAnyTensors('idx', intTensor([1, 2], [2]), tensor([1, 2], [2]), loose);
    expect(asInt).toMatchObject({ kind: 'int32', passed: false, reasons: ['dtype mismatch: reference int32, actual float32'] });
    expect(compareAnyTensors('idx', intTensor([1, 2], [2]), intTensor([1, 2], [2]), loose).passed).toBe(true);
  });

  it('rejects arguments that are not tensors, or a negative tolerance, with MoEOracleError', () => {
    expect(() => compareTensors('y', [1] as unknown as Tensor, tensor([1], [1]), loose)).toThrow(MoEOracleError);
    expect(() => compareTensors('y', tensor([1], [1]), tensor([1], [1]), { atol: -1, rtol: 0 })).toThrow(/tolerance.atol: expected a finite number in \[0, Infinity\]/);
  });
});

describe('compareIntTensors', () => {
  it('passes equal tensors and counts mismatches with the first one', () => {
    expect(compareIntTensors('idx', intTensor([3, 1, 4, 1], [2, 2]), intTensor([3, 1, 4, 1], [2, 2])).passed).toBe(true);
    const result = compareIntTensors('idx', intTensor([3, 1, 4, 1], [2, 2]), intTensor([3, 1, 5, 9], [2, 2]));
    expect(result).toMatchObject({ passed: false, mismatchCount: 2, firstMismatch: { index: [1, 0], reference: 4, actual: 5 }, reasons: ['2 of 4 elements differ'] });
  });
});

describe('reports', () => {
  it('render one line per tensor with the verdict, statistics and the worst element', () => {
    const pass = formatComparison(compareTensors('moe.out', tensor([1, 2], [1, 2]), tensor([1, 2], [1, 2]), loose));
    expect(pass).toBe('PASS  moe.out  [1, 2] float32  max |Δ| 0.00e+0, max rel 0.00e+0; ulp max 0 mean 0.00 (0:2 1:0 2-4:0 5-16:0 17-256:0 >256:0); 0 of 2 beyond atol 1.00e-3 + rtol 1.00e-3·|ref|');
    const fail = formatComparison(compareTensors('moe.out', tensor([1, 2], [1, 2]), tensor([1, 2.5], [1, 2]), loose));
    expect(fail).toMatch(/^FAIL {2}moe\.out .*1 of 2 beyond .*; worst at \[0, 1\]: reference 2, actual 2\.5, \|Δ\| 5\.00e-1 > allowed 3\.00e-3 \(\d+ ulp\)$/);
    expect(fail.includes('\n')).toBe(false);
    expect(formatComparison(compareTensors('y', tensor([1], [1]), tensor([1, 1], [2]), loose))).toBe('FAIL  y  [1] float32  shape mismatch: reference [1], actual [2]');
    expect(formatComparison(compareIntTensors('idx', intTensor([3, 1], [2]), intTensor([3, 2], [2])))).toBe(
      'FAIL  idx  [2] int32  1 of 2 elements differ; first at [1]: reference 1, actual 2',
    );
  });

  it('render float32 values with 9 significant digits', () => {
    const line = formatComparison(compareTensors('p', tensor([0.1], [1]), tensor([0.2], [1]), loose));
    expect(line).toMatch(/reference 0\.100000001, actual 0\.200000003/);
  });

  it('convert to JSON with non-finite numbers as strings', () => {
    const result = compareTensors('m', tensor([-Infinity, 1], [2]), tensor([NaN, 1], [2]), loose);
    const text = JSON.stringify(comparisonToJson(result));
    expect(text).not.toMatch(/NaN,|Infinity,|:NaN|:Infinity|:-Infinity/);
    expect(JSON.parse(text).nonFiniteReference.firstMismatch).toEqual({ index: [0], reference: '-Infinity', actual: 'NaN' });
    expect(comparisonToJson({ a: [Infinity, 1, -0], b: 'x' })).toEqual({ a: ['Infinity', 1, -0], b: 'x' });
  });
});
