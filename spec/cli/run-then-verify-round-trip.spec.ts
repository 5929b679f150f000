// The CLI end to end, as a user drives it: run the reference on a file of tensors, verify the
// result against the golden case, and get exit code 0 (pass), 1 (a check failed) or 2 (unusable
// file or option) with a message, never a stack trace.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/golden/safetensors.js';
import { moeConfigToHuggingFace, tensor, type Tensor } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'moe-oracle-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('moe-oracle CLI', () => {
  it('run on a golden case reproduces it, and verify passes it (exit 0)', async () => {
    const out = join(dir, 'out.safetensors');
    const run = await cli('run', 'moe', '--in', 'golden/moe/qwen2-moe-tiny.safetensors', '--out', out);
    expect(run.code).toBe(0);
    const golden = readSafetensorsFile('golden/moe/qwen2-moe-tiny.safetensors');
    const produced = readSafetensorsFile(out);
    expect(Array.from((produced.tensors['outputs.y'] as Tensor).data)).toEqual(Array.from((golden.tensors['outputs.y'] as Tensor).data));
    const verified = await cli('verify', '--golden', 'golden/moe/qwen2-moe-tiny.safetensors', '--actual', out);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/PASS/);
  });

  it('run --with-inputs reproduces every committed case bit for bit, and verify passes each (every component)', async () => {
    const index = JSON.parse(readFileSync('golden/index.json', 'utf8')) as { cases: Array<{ case: string; file: string; component: string }> };
    for (const entry of index.cases) {
      const out = join(dir, 'case.safetensors');
      const golden = `golden/${entry.file}`;
      expect((await cli('run', entry.component, '--in', golden, '--out', out, '--with-inputs')).code, entry.case).toBe(0);
      const reference = readSafetensorsFile(golden).tensors;
      const produced = readSafetensorsFile(out).tensors;
      for (const [name, t] of Object.entries(reference)) {
        expect(Array.from(produced[name].data), `${entry.case} ${name}`).toEqual(Array.from(t.data));
      }
      const verified = await cli('verify', '--golden', golden, '--actual', out);
      expect(verified.code, `${entry.case}: ${verified.stdout}${verified.stderr}`).toBe(0);
    }
  });

  it('run accepts a Hugging Face config.json and user tensors without metadata', async () => {
    const golden = readSafetensorsFile('golden/moe/mixtral-tiny.safetensors');
    const userInput = join(dir, 'user.safetensors');
    writeSafetensorsFile(userInput, Object.fromEntries(Object.entries(golden.tensors).filter(([n]) => !n.startsWith('outputs.'))));
    const hf = moeConfigToHuggingFace({ hiddenSize: 32, numExperts: 8, expertIntermediateSize: 112, router: { topK: 2 } }, 'mixtral');
    delete hf.moe_oracle;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(hf));
    const out = join(dir, 'user-out.safetensors');
    expect((await cli('run', 'moe', '--config', join(dir, 'config.json'), '--in', userInput, '--out', out)).code).toBe(0);
    expect((await cli('verify', '--golden', 'golden/moe/mixtral-tiny.safetensors', '--actual', out)).code).toBe(0);
  });

  it('verify exits 1 on a wrong output and prints JSON with --json', async () => {
    const golden = readSafetensorsFile('golden/moe/mixtral-tiny.safetensors');
    const y = golden.tensors['outputs.y'] as Tensor;
    const bad = tensor(Float32Array.from(y.data, (v) => v * 1.01), y.shape);
    const actual = join(dir, 'bad.safetensors');
    writeSafetensorsFile(actual, { 'outputs.y': bad });
    const result = await cli('verify', '--golden', 'golden/moe/mixtral-tiny.safetensors', '--actual', actual, '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.passed).toBe(false);
    expect(report.comparisons[0].name).toBe('y');
    expect(report.unchecked).toContain('router_logits');
  });

  it('exits 2 with a clear message for truncated files and bad options, 1 for a missing main output', async () => {
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, readFileSync('golden/moe/mixtral-tiny.safetensors').subarray(0, 300));
    const t = await cli('verify', '--golden', 'golden/moe/mixtral-tiny.safetensors', '--actual', truncated);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/^moe-oracle: .*truncated\.safetensors/);

    const empty = join(dir, 'empty-outputs.safetensors');
    writeSafetensorsFile(empty, { 'outputs.other': tensor([1], [1]) });
    const m = await cli('verify', '--golden', 'golden/moe/mixtral-tiny.safetensors', '--actual', empty);
    expect(m.code).toBe(1); // a backend without the main output fails
    expect(m.stdout).toMatch(/FAIL .*outputs\.y/);
    expect(m.stdout).toMatch(/golden file does not hold \(unchecked\): other/);

    expect((await cli('verify', '--golden', 'golden/moe/mixtral-tiny.safetensors', '--actual', empty, '--dtype', 'fp8')).code).toBe(2);
    expect((await cli('golden', 'generate', '--only', 'no-such-case', '--out', join(dir, 'g'))).code).toBe(2);
    expect((await cli('run', 'nonsense', '--in', truncated, '--out', join(dir, 'x'))).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
  });

  it('golden generate --only writes just the matching cases, identical to the committed ones', async () => {
    const out = join(dir, 'partial');
    const result = await cli('golden', 'generate', '--out', out, '--only', 'router/*ties*');
    expect(result.code).toBe(0);
    copyFileSync(join(out, 'router/exact-ties-top2.safetensors'), join(dir, 'ties.safetensors'));
    expect(readFileSync(join(dir, 'ties.safetensors')).equals(readFileSync('golden/router/exact-ties-top2.safetensors'))).toBe(true);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.cases.map((c: { case: string }) => c.case)).toEqual(['router/exact-ties-top2']);
  });
});
