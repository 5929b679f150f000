// `moe-oracle params`: a readable report by default, JSON with integer total and active, the same
// counts for a preset and for its config.json written to a file, --list, and exit code 2 with a
// clear message for an unknown preset or file, a broken file, or a bad option.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { countParameters, findPreset, PRESETS } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), isTTY: false });
  return { code, stdout, stderr };
}

describe('moe-oracle params', () => {
  it('prints a readable report with counts like 46.70B', async () => {
    const { code, stdout } = await run('params', 'mixtral-8x7b');
    expect(code).toBe(0);
    expect(stdout).toContain('46.70B');
    expect(stdout).toContain('12.88B');
    expect(stdout).toContain('Published figures');
  });

  it('prints JSON whose total and active are integers, with breakdown, FLOPs, memory and KV cache', async () => {
    const { code, stdout } = await run('params', 'deepseek-v3', '--json', '--active-embeddings', 'lm-head');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const expected = countParameters(readHfModel(findPreset('deepseek-v3')!.config), { activeEmbeddings: 'lm-head' });
    expect(report.total).toBe(expected.total);
    expect(report.active).toBe(expected.active);
    expect(Number.isInteger(report.total) && Number.isInteger(report.active)).toBe(true);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['breakdown', 'layers', 'flops', 'memory', 'kvCache', 'published']));
  });

  it('gives the same counts for a config.json file as for the preset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moe-oracle-params-'));
    for (const preset of PRESETS) {
      const path = join(dir, `${preset.name}.json`);
      writeFileSync(path, JSON.stringify(preset.config));
      const fromFile = JSON.parse((await run('params', path, '--json', '--mtp', 'checkpoint')).stdout);
      const fromPreset = JSON.parse((await run('params', preset.name, '--json', '--mtp', 'checkpoint')).stdout);
      expect([fromFile.total, fromFile.active]).toEqual([fromPreset.total, fromPreset.active]);
    }
  });

  it('applies the counting options', async () => {
    const untied = JSON.parse((await run('params', 'llama-2-70b', '--json')).stdout);
    const tied = JSON.parse((await run('params', 'llama-2-70b', '--json', '--tied-embeddings')).stdout);
    expect(untied.total - tied.total).toBe(32000 * 8192);
    const withMtp = JSON.parse((await run('params', 'deepseek-v3', '--json', '--mtp', 'include')).stdout);
    expect(withMtp.breakdown.mtp.total).toBeGreaterThan(0);
  });

  it('lists the presets and prints a breakdown', async () => {
    const list = await run('params', '--list');
    expect(list.code).toBe(0);
    for (const preset of PRESETS) expect(list.stdout).toContain(preset.name);
    const breakdown = await run('params', 'qwen1.5-moe-a2.7b', '--breakdown');
    expect(breakdown.stdout).toContain('shared experts');
    expect((await run('params', '--help')).stdout).toContain('--active-embeddings');
  });

  it('exits 2 with a clear message on bad input', async () => {
    const unknown = await run('params', 'mixtral-9x9b');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"mixtral-9x9b"');
    expect(unknown.stderr).toContain('--list');

    const dir = mkdtempSync(join(tmpdir(), 'moe-oracle-params-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "model_type": ');
    expect((await run('params', broken)).code).toBe(2);
    const unsupported = join(dir, 'gpt2.json');
    writeFileSync(unsupported, JSON.stringify({ model_type: 'gpt2' }));
    const gpt2 = await run('params', unsupported);
    expect(gpt2.code).toBe(2);
    expect(gpt2.stderr).toContain('model_type');

    expect((await run('params', 'dbrx', '--mtp', 'maybe')).code).toBe(2);
    expect((await run('params', 'dbrx', '--bogus')).code).toBe(2);
    expect((await run('params')).code).toBe(2);
    expect((await run('params', 'dbrx', '--tied-embeddings', '--untied-embeddings')).code).toBe(2);
  });
});
