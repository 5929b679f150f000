// verify never says PASS wrongly: each wrong-verdict example found by trying the oracle as a new
// user would fails now. A golden file that lost its main output (one flipped header byte, or `y`
// renamed to "__proto__"), an incomplete golden file (no margins while the routing differs), a golden
// whose reference overflowed to NaN from finite inputs (the backend returning the same NaN), and a
// backend output the golden lacks (listed, not dropped). Damaged metadata (`tolerances: "null"`) is
// no crash.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCaseMetadata, verify, type VerifyReport } from '../../src/golden/verify.js';
import { assembleCase, tensorsUnder } from '../../src/golden/case.js';
import { COMPONENTS, expectedOutputs, getComponent } from '../../src/golden/components.js';
import { readSafetensors, writeSafetensors, type SafetensorsFile } from '../../src/golden/safetensors.js';
import { intTensor, MoEOracleError, tensor, type IntTensor, type Tensor } from '../../src/index.js';

const goldenBytes = (name: string) => new Uint8Array(readFileSync(`golden/${name}.safetensors`));
const load = (name: string): SafetensorsFile => readSafetensors(goldenBytes(name));

/** A backend file holding the given outputs. */
function backend(outputs: Record<string, Tensor | IntTensor>): SafetensorsFile {
  const tensors: SafetensorsFile['tensors'] = Object.create(null);
  for (const [name, t] of Object.entries(outputs)) tensors[`outputs.${name}`] = t;
  return { tensors, metadata: {}, dtypes: {} };
}

/** The golden outputs as a backend would return them (exactly). */
const sameOutputs = (golden: SafetensorsFile) => tensorsUnder(golden.tensors, 'outputs.');

const constant = (like: Tensor | IntTensor, value: number) => tensor(new Float32Array(like.size).fill(value), like.shape);

/** Replaces the first occurrence of `from` in the header text by `to` (same length: the file stays valid). */
function editHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  expect(to.length).toBe(from.length);
  const text = Buffer.from(bytes).toString('latin1');
  const at = text.indexOf(from);
  expect(at).toBeGreaterThan(8);
  const edited = new Uint8Array(bytes);
  edited.set(Buffer.from(to, 'latin1'), at);
  return edited;
}

function expectFail(report: VerifyReport, reason: RegExp): void {
  expect(report.passed).toBe(false);
  expect(report.problems.join('\n')).toMatch(reason);
}

describe('verify never passes what it did not compare', () => {
  it('fails a golden file whose outputs.y lost one header byte (outpu[s.y), against a backend y of 12345', () => {
    const golden = readSafetensors(editHeader(goldenBytes('moe/mixtral-tiny'), '"outputs.y"', '"outpu[s.y"'));
    const y = load('moe/mixtral-tiny').tensors['outputs.y'];
    const report = verify(golden, backend({ y: constant(y, 12345) }));
    expect(report.missingInGolden).toEqual(['y']);
    expectFail(report, /golden file lacks outputs\.y/);
  });

  it('fails a golden file whose y is stored as "__proto__", and lists the backend y it cannot compare', () => {
    const original = load('moe/mixtral-tiny');
    const tensors: SafetensorsFile['tensors'] = Object.create(null);
    for (const [name, t] of Object.entries(original.tensors)) tensors[name === 'outputs.y' ? 'outputs.__proto__' : name] = t;
    const golden = readSafetensors(writeSafetensors(tensors, original.metadata));
    expect(Object.keys(golden.tensors)).toContain('outputs.__proto__');
    // Split by prefix, "__proto__" stays an ordinary entry (not the map's prototype).
    expect(Object.keys(tensorsUnder(golden.tensors, 'outputs.'))).toContain('__proto__');
    const report = verify(golden, backend({ y: constant(original.tensors['outputs.y'], 12345) }));
    expect(report.missingInGolden).toEqual(['y']);
    expect(report.extra).toEqual(['y']);
    expectFail(report, /lacks outputs\.y/);
    // The same file judged against a backend that also calls its output "__proto__": still no PASS.
    const proto: SafetensorsFile['tensors'] = Object.create(null);
    proto['outputs.__proto__'] = constant(original.tensors['outputs.y'], 12345);
    expect(verify(golden, { tensors: proto, metadata: {}, dtypes: {} }).passed).toBe(false);
  });

  it('fails every component whose golden file lacks its main output', () => {
    const index = JSON.parse(readFileSync('golden/index.json', 'utf8')) as { cases: Array<{ case: string; component: string }> };
    const seen = new Set<string>();
    for (const entry of index.cases) {
      if (seen.has(entry.component)) continue;
      seen.add(entry.component);
      const golden = load(entry.case);
      const { component, config } = readCaseMetadata(golden);
      const main = expectedOutputs(component, config)[0];
      const damaged: SafetensorsFile = { ...golden, tensors: Object.fromEntries(Object.entries(golden.tensors).filter(([n]) => n !== `outputs.${main}`)) };
      const report = verify(damaged, backend(sameOutputs(golden)));
      expect(report.passed, entry.case).toBe(false);
      expect(report.missingInGolden, entry.case).toContain(main);
    }
    expect(seen.size).toBe(Object.keys(COMPONENTS).length);
  });

  it('fails a backend that provides every output but the main one (the rest all pass)', () => {
    const golden = load('moe/mixtral-tiny');
    const { y: _y, ...rest } = sameOutputs(golden);
    const report = verify(golden, backend(rest));
    expect(report.comparisons.length).toBe(5); // the indices are judged as sets, not compared
    expect(report.comparisons.every((c) => c.passed)).toBe(true);
    expect(report.unchecked).toEqual(['y']);
    expectFail(report, /did not provide outputs\.y, the main moe output/);
  });

  it('fails an incomplete golden file (no margins) when the backend routing differs, without a TypeError', () => {
    const golden = load('router/preset-mixtral');
    const withoutMargins: SafetensorsFile = { ...golden, tensors: Object.fromEntries(Object.entries(golden.tensors).filter(([n]) => n !== 'outputs.margins')) };
    const indices = golden.tensors['outputs.topk_indices'] as IntTensor;
    const swapped = new Int32Array(indices.data);
    swapped[0] = (swapped[0] + 1) % golden.tensors['outputs.scores'].shape[1];
    const report = verify(withoutMargins, backend({ ...sameOutputs(golden), topk_indices: intTensor(swapped, indices.shape) }));
    expectFail(report, /lacks outputs\.margins/);
  });

  it('lists a backend output the golden file lacks as unchecked (extra), and still passes the rest', () => {
    const golden = load('ops/rmsnorm');
    const y = golden.tensors['outputs.y'];
    const report = verify(golden, backend({ y, variance: constant(y, 1) }));
    expect(report.passed).toBe(true);
    expect(report.extra).toEqual(['variance']);
  });

  it('fails a golden whose reference is NaN from finite inputs, even when the backend returns the same NaN', () => {
    const golden = load('moe/mixtral-tiny');
    const nanY = constant(golden.tensors['outputs.y'], NaN);
    const broken: SafetensorsFile = { ...golden, tensors: { ...golden.tensors, 'outputs.y': nanY } };
    const report = verify(broken, backend({ ...sameOutputs(golden), y: nanY }));
    expectFail(report, /outputs\.y holds NaN at \[0, 0\] although every input and parameter is finite/);
    // The same NaN is accepted when the case's own input was non-finite (NaN in, NaN out is honest).
    const x = golden.tensors['inputs.x'] as Tensor;
    const nanX = tensor(Float32Array.from(x.data, (v, i) => (i === 0 ? NaN : v)), x.shape);
    const honest = verify({ ...broken, tensors: { ...broken.tensors, 'inputs.x': nanX } }, backend({ ...sameOutputs(golden), y: nanY }));
    expect(honest.problems).toEqual([]);
  });

  it('keeps +Infinity margins (k = N: no unchosen expert) as a defined value', () => {
    const golden = load('router/k-equals-n');
    expect(Array.from(golden.tensors['outputs.margins'].data)).toContain(Infinity);
    expect(verify(golden, backend(sameOutputs(golden))).passed).toBe(true);
  });

  it('judges the same with damaged tolerances metadata ("null", not JSON): the rule comes from the component', () => {
    const golden = load('moe/mixtral-tiny');
    for (const tolerances of ['null', '{broken', '"x"']) {
      const damaged = { ...golden, metadata: { ...golden.metadata, tolerances } };
      expect(verify(damaged, backend(sameOutputs(golden))).passed).toBe(true);
    }
  });

  it('raises MoEOracleError (never a TypeError) for arguments that are not files', () => {
    const golden = load('moe/mixtral-tiny');
    for (const bad of [undefined, null, {}, { tensors: 5 }, 'golden', []]) {
      expect(() => verify(bad as never, backend({}))).toThrow(MoEOracleError);
      expect(() => verify(golden, bad as never)).toThrow(MoEOracleError);
    }
    expect(() => verify(golden, backend({}), null as never)).toThrow(MoEOracleError);
    expect(() => verify(golden, backend({}), { dtype: 'fp8' as never })).toThrow(/options\.dtype/);
    expect(() => verify(golden, backend({}), { atol: -1 })).toThrow(/options\.atol/);
  });
});

/**
 * The four reference overflows from finite input: the reference itself refuses each with a
 * MoEOracleError naming the component, the tensor and the first index (the overflow checks of the
 * kernel seam); were it to produce the values, verify would FAIL the golden file (specs above).
 */
describe('reference overflows from finite input never end in PASS', () => {
  /** Runs the reference; if it produced values, verify judges a backend returning exactly them. */
  function verdict(componentName: string, configJson: unknown, inputs: Record<string, Tensor>, params: Record<string, Tensor>): string {
    try {
      const component = getComponent(componentName);
      const config = component.parseConfig(configJson);
      const outputs = component.run(config, inputs, params);
      const built = assembleCase({ name: 'overflow', description: '', component: component.name, config, seed: null, inputs, params, outputs });
      const golden = readSafetensors(writeSafetensors(built.tensors, built.metadata));
      return verify(golden, backend(outputs)).passed ? 'PASS' : 'FAIL';
    } catch (error) {
      if (error instanceof MoEOracleError) return `error: ${error.message}`;
      throw error;
    }
  }
  const mixtral = load('moe/mixtral-tiny');
  const mixtralConfig = JSON.parse(mixtral.metadata.config);
  const inputsOf = (file: SafetensorsFile) => ({ ...tensorsUnder(file.tensors, 'inputs.') }) as Record<string, Tensor>;
  const paramsOf = (file: SafetensorsFile) => ({ ...tensorsUnder(file.tensors, 'params.') }) as Record<string, Tensor>;

  it('x of 1e20 (all-NaN y)', () => {
    const x = inputsOf(mixtral).x;
    expect(verdict('moe', mixtralConfig, { x: constant(x, 1e20) }, paramsOf(mixtral))).toMatch(/^error: moe-oracle: .*(overflowed|finite)/);
  });

  it('rmsnorm of zeros with eps 0', () => {
    const rms = load('ops/rmsnorm');
    const x = inputsOf(rms).x;
    expect(verdict('rmsnorm', { eps: 0 }, { x: constant(x, 0) }, paramsOf(rms))).toMatch(/^error: moe-oracle: .*(overflowed|finite)/);
  });

  it('routed scaling factor 1e39', () => {
    const stored = mixtralConfig.moe_oracle;
    const config = { ...mixtralConfig, moe_oracle: { ...stored, router: { ...stored.router, routedScalingFactor: 1e39 } } };
    expect(verdict('moe', config, inputsOf(mixtral), paramsOf(mixtral))).toMatch(/^error: moe-oracle: .*(overflowed|finite)/);
  });

  it('an expert weight of -1.28e38 (one flipped byte)', () => {
    const params = paramsOf(mixtral);
    // Every expert's gate projection (w1) holds -1.28e38 at [0, 0]: silu(-huge) and the products overflow.
    for (const name of Object.keys(params).filter((n) => n.endsWith('w1.weight'))) {
      const w = params[name];
      params[name] = tensor(Float32Array.from(w.data, (v, i) => (i === 0 ? -1.28e38 : v)), w.shape);
    }
    expect(verdict('moe', mixtralConfig, inputsOf(mixtral), params)).toMatch(/^error: moe-oracle: .*(overflowed|finite)/);
  });
});

