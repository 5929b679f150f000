// Fuzzing the CLI as a careless user would: `run` and `verify` on golden files with one mutated byte
// (mostly in the header: names, shapes, offsets, metadata), truncated or extended files, and garbage
// options. Only three outcomes are allowed:
//   - a result: run exits 0 and writes a readable file; verify exits 0 (PASS) only when it compared
//     the component's main output, the golden file holds every output, and nothing was flagged;
//   - a clean error: exit 2, nothing on stdout, one `moe-oracle: <argument>: expected …, got …` line;
//   - (verify) FAIL: exit 1 with a JSON report that says passed: false.
// Anything else (an exception escaping `main`, another exit code, a PASS that compared nothing) fails.
// Fixed seed (spec/setup.ts), bounded runs and time.
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';
import { getComponent } from '../../src/golden/components.js';
import { readSafetensors, readSafetensorsFile, writeSafetensorsFile } from '../../src/golden/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'moe-oracle-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES = ['ops/rmsnorm', 'moe/mixtral-tiny', 'router/k1', 'topk/ties-and-masks', 'expert/swiglu', 'ops/softmax-extreme'];
const originals = CASES.map((name) => {
  const bytes = new Uint8Array(readFileSync(`golden/${name}.safetensors`));
  const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const golden = readSafetensors(bytes);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, headerEnd))) as Record<string, { data_offsets?: [number, number] }>;
  const outputBytes = Object.entries(header).filter(([n]) => n.startsWith('outputs.')).flatMap(([, e]) => (e.data_offsets && e.data_offsets[1] > e.data_offsets[0] ? [[headerEnd + e.data_offsets[0], headerEnd + e.data_offsets[1]]] : []));
  const backend = join(dir, `${name.replace('/', '-')}.backend.safetensors`);
  writeSafetensorsFile(backend, Object.fromEntries(Object.entries(golden.tensors).filter(([n]) => n.startsWith('outputs.'))));
  return { name, bytes, headerEnd, backend, outputBytes };
});

/** One damage to a file's bytes. */
const mutation = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('rename' as const), at: fc.nat(), byte: fc.constantFrom(...Array.from('az_[0.9Y', (c) => c.charCodeAt(0))) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('header' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('data' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('output' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), at: fc.integer({ min: 1, max: 16 }), byte: fc.integer({ min: 0, max: 255 }) }) },
);

function mutate(original: (typeof originals)[number], m: { kind: string; at: number; byte: number }): Uint8Array {
  const { bytes, headerEnd } = original;
  switch (m.kind) {
    case 'rename': {
      // Replace a letter or digit of the header (a name, a dtype, a metadata value, a number) by
      // another character that keeps the JSON valid.
      const copy = new Uint8Array(bytes);
      const text = new TextDecoder().decode(bytes.subarray(8, headerEnd));
      const positions = Array.from(text.matchAll(/[A-Za-z0-9]/g), (match) => match.index! + 8);
      copy[positions[m.at % positions.length]] = m.byte;
      return copy;
    }
    case 'header': {
      const copy = new Uint8Array(bytes);
      copy[m.at % headerEnd] = m.byte;
      return copy;
    }
    case 'data': {
      const copy = new Uint8Array(bytes);
      if (bytes.length > headerEnd) copy[headerEnd + (m.at % (bytes.length - headerEnd))] = m.byte;
      return copy;
    }
    case 'output': {
      // A byte of a stored reference output: the backend (the original outputs) must now fail, or pass
      // within tolerance (a low mantissa byte).
      const copy = new Uint8Array(bytes);
      const [begin, end] = original.outputBytes[m.at % original.outputBytes.length];
      copy[begin + (m.at % (end - begin))] = m.byte;
      return copy;
    }
    case 'truncate':
      return bytes.subarray(0, m.at % bytes.length);
    default: {
      const longer = new Uint8Array(bytes.length + m.at).fill(m.byte);
      longer.set(bytes);
      return longer;
    }
  }
}

/** Garbage options: flags with wrong, missing or misplaced values (never --in / --out: no stray files). */
const garbage = fc.oneof({ weight: 3, arbitrary: fc.constant([] as string[]) }, { weight: 2, arbitrary: fc.array(
  fc.constantFrom('--dtype', 'fp8', 'bf16', '--atol', '-1', '1e400', '0x10', '--rtol', '', ' 4 ', 'NaN', '--json', '--with-inputs', '--allow-unused', '--routing', '--config', join(dir, 'nope.json'), '--bogus', '--golden', '--actual', 'moe', '-x'),
  { minLength: 1, maxLength: 4 },
) });


function expectCleanError(result: { code: number; stdout: string; stderr: string }, context: string): void {
  expect(result.stdout, context).toBe('');
  expect(result.stderr, context).toMatch(/^moe-oracle: \S.*: expected .+, got .+\n$/s);
}

const settings = { numRuns: 250, interruptAfterTimeLimit: 12_000 };
/** How often each outcome occurred: the fuzzing must reach all of them, not only usage errors. */
const seen = { verify: { 0: 0, 1: 0, 2: 0 } as Record<number, number>, run: { 0: 0, 2: 0 } as Record<number, number> };

describe('run and verify under fuzzing', () => {
  it('verify: PASS only after comparing the main output of a complete golden file, else FAIL or a clean error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: CASES.length - 1 }), mutation, garbage, async (which, m, extra) => {
        const original = originals[which];
        const golden = join(dir, 'mutated.safetensors');
        writeFileSync(golden, mutate(original, m));
        const args = ['verify', '--golden', golden, '--actual', original.backend, ...extra, '--json'];
        const context = `${original.name} ${JSON.stringify(m)} ${JSON.stringify(extra)}`;
        const result = await cli(...args);
        seen.verify[result.code] = (seen.verify[result.code] ?? 0) + 1;
        if (result.code === 2) return expectCleanError(result, context);
        expect([0, 1], context).toContain(result.code);
        const report = JSON.parse(result.stdout);
        expect(report.passed, context).toBe(result.code === 0);
        if (result.code === 0) {
          const main = getComponent(report.component).outputs[0].name;
          expect(report.comparisons.map((c: { name: string }) => c.name), context).toContain(main);
          expect([report.missingInGolden, report.problems], context).toEqual([[], []]);
          // Recheck every compared element independently: |backend − reference| ≤ atol + rtol·|reference|.
          const reference = readSafetensorsFile(golden).tensors;
          const backend = readSafetensorsFile(original.backend).tensors;
          for (const c of report.comparisons as Array<{ name: string; tolerance?: { atol: number; rtol: number } }>) {
            const r = reference[`outputs.${c.name}`].data;
            const a = backend[`outputs.${c.name}`].data;
            const { atol, rtol } = c.tolerance ?? { atol: 0, rtol: 0 };
            for (let i = 0; i < r.length; i++) {
              const close = Object.is(r[i], a[i]) || (Number.isNaN(r[i]) && Number.isNaN(a[i])) || Math.abs(a[i] - r[i]) <= atol + rtol * Math.abs(r[i]);
              if (!close) expect.fail(`${context}: PASS although outputs.${c.name}[${i}] is ${a[i]}, reference ${r[i]}`);
            }
          }
        }
      }),
      settings,
    );
    expect(Math.min(seen.verify[0], seen.verify[1], seen.verify[2]), JSON.stringify(seen.verify)).toBeGreaterThan(8);
  }, 60_000);

  it('run: a readable output file or a clean error naming the argument', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: CASES.length - 1 }), mutation, garbage, async (which, m, extra) => {
        const original = originals[which];
        const input = join(dir, 'mutated-in.safetensors');
        const out = join(dir, 'run-out.safetensors');
        rmSync(out, { force: true });
        writeFileSync(input, mutate(original, m));
        const component = original.name === 'ops/softmax-extreme' ? 'softmax' : original.name.split('/')[0].replace('ops', 'rmsnorm');
        const context = `${original.name} ${JSON.stringify(m)} ${JSON.stringify(extra)}`;
        const result = await cli('run', component, '--in', input, '--out', out, ...extra);
        seen.run[result.code] = (seen.run[result.code] ?? 0) + 1;
        if (result.code === 2) return expectCleanError(result, context);
        expect(result.code, context).toBe(0);
        expect(Object.keys(readSafetensorsFile(out).tensors).some((n) => n.startsWith('outputs.')), context).toBe(true);
      }),
      settings,
    );
    expect(Math.min(seen.run[0], seen.run[2]), JSON.stringify(seen.run)).toBeGreaterThan(8);
  }, 60_000);
});
