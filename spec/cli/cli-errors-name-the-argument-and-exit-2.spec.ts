// What the CLI guarantees (README "Errors"): exit 0 success, 1 a check failed, 2 bad usage or input
// with one line on stderr that names the option or file; never a stack trace. Each case below was
// once a crash, a silent wrong behaviour or a misleading message.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';
import { readSafetensorsFile } from '../../src/golden/safetensors.js';
import { selectCases } from '../../src/golden/suite.js';

const dir = mkdtempSync(join(tmpdir(), 'moe-oracle-cli-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** Exit 2, nothing on stdout, one message on stderr that names `argument`. */
async function expectUsageError(args: string[], argument: RegExp) {
  const result = await cli(...args);
  expect(result.code, args.join(' ')).toBe(2);
  expect(result.stdout, args.join(' ')).toBe('');
  expect(result.stderr, args.join(' ')).toMatch(/^moe-oracle: /);
  expect(result.stderr, args.join(' ')).toMatch(argument);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('CLI errors', () => {
  it('names the flag for file-system errors (a file where a folder belongs, a missing folder, /proc)', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await expectUsageError(['golden', 'generate', '--out', file, '--only', 'ops/rmsnorm'], /--out: .*is a file/);
    await expectUsageError(['golden', 'generate', '--out', '/proc/no-such/golden', '--only', 'ops/rmsnorm'], /--out: /);
    await expectUsageError(['golden', 'check', '--dir', file], /--dir: .*a file/);
    await expectUsageError(['golden', 'check', '--dir', join(dir, 'missing')], /--dir: .*no such folder/);
    await expectUsageError(['verify', '--golden', join(dir, 'missing.safetensors'), '--actual', file], /--golden: .*ENOENT/);
    await expectUsageError(['verify', '--golden', 'golden/moe/mixtral-tiny.safetensors', '--actual', dir], /--actual: .*EISDIR/);
    await expectUsageError(['run', 'moe', '--in', file, '--out', join(dir, 'o')], /--in .*a-file: safetensors file: expected at least 8 bytes/);
    await expectUsageError(['run', 'rmsnorm', '--in', 'golden/ops/rmsnorm.safetensors', '--out', join(dir, 'missing', 'o')], /--out: .*ENOENT/);
  });

  it('names a damaged index.json when --only merges into it', async () => {
    const out = join(dir, 'damaged');
    mkdirSync(out);
    for (const text of ['{broken', '{"cases":5}', '[]']) {
      writeFileSync(join(out, 'index.json'), text);
      await expectUsageError(['golden', 'generate', '--out', out, '--only', 'ops/rmsnorm'], /index\.json: expected /);
    }
  });

  it('reads integers and numbers strictly, and a negative value is a value', async () => {
    await expectUsageError(['route', '--tokens', '-1'], /--tokens: expected an integer in \[1, 10000\], got -1/);
    for (const bad of ['', '0x10', '1e3', ' 4 ', '4.5', 'Infinity']) await expectUsageError(['route', '--tokens', bad], /--tokens: expected an integer in decimal digits/);
    await expectUsageError(['verify', '--golden', 'g', '--actual', 'a', '--atol', '-1'], /--atol: /);
    await expectUsageError(['verify', '--golden', 'g', '--actual', 'a', '--rtol', '0x1'], /--rtol: expected a decimal number/);
    await expectUsageError(['route', '--bogus'], /--bogus: expected an option of `moe-oracle route`/);
    await expectUsageError(['route', '--json=yes'], /--json: expected no value/);
    await expectUsageError(['route', '--tokens'], /--tokens: expected a value/);
  });

  it('rejects options that do not apply instead of ignoring them', async () => {
    await expectUsageError(['golden', 'check', '--only', 'moe'], /--only: /);
    await expectUsageError(['golden', 'generate', '--dir', dir], /--dir: /);
    await expectUsageError(['params', '--list', 'mixtral-8x7b'], /--list: /);
    const mtp = await cli('params', 'mixtral-8x7b', '--mtp', 'checkpoint');
    expect(mtp.stderr).toMatch(/--mtp checkpoint does not apply/);
  });

  it('prints --version, help for one command, and usage errors on stderr', async () => {
    const version = await cli('--version');
    expect([version.code, version.stdout]).toEqual([0, '0.1.0\n']);
    const help = await cli('help', 'route');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: moe-oracle route/);
    expect(help.stdout).toMatch(/--json +print/);
    const none = await cli();
    expect([none.code, none.stdout]).toEqual([2, '']);
    expect(none.stderr).toMatch(/usage: moe-oracle/);
    await expectUsageError(['frobnicate'], /command: expected one of/);
    await expectUsageError(['verify', '--golden', 'golden/moe/mixtral-tiny.safetensors'], /--actual: /);
    await expectUsageError(['golden'], /an action/);
  });

  it('says how many cases --only wrote', async () => {
    const out = join(dir, 'partial');
    expect((await cli('golden', 'generate', '--out', out, '--only', 'ops/')).code).toBe(0);
    const result = await cli('golden', 'generate', '--out', out, '--only', 'mixtral');
    const ops = selectCases({ only: 'ops/' }).length;
    const mixtral = selectCases({ only: 'mixtral' }).length;
    expect(mixtral).toBeLessThan(selectCases().length);
    expect(result.stdout).toMatch(new RegExp(`^wrote ${mixtral} cases .*\\(it lists ${ops + mixtral} cases\\)`));
  });

  it('golden check defaults to the package suite and names stale temporary files with how to remove them', async () => {
    const fromElsewhere = await cli('golden', 'check');
    expect(fromElsewhere.code).toBe(0);
    const out = join(dir, 'stale');
    expect((await cli('golden', 'generate', '--out', out)).code).toBe(0);
    writeFileSync(join(out, 'moe', '.mixtral-tiny.safetensors.999999999.0123456789ab.tmp'), 'partial');
    const check = await cli('golden', 'check', '--dir', out);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/stale temporary file left by an interrupted write .*remove it with rm /);
  });

  it('run lists the params the layer did not use (a dropped shared expert) and fails unless --allow-unused', async () => {
    const config = join(dir, 'no-shared.json');
    writeFileSync(config, JSON.stringify({ hiddenSize: 16, numExperts: 6, router: { topK: 2 }, expertIntermediateSize: 24, naming: 'qwen2-moe' }));
    const args = ['run', 'moe', '--in', 'golden/moe/shared-expert-gated.safetensors', '--config', config, '--out', join(dir, 'no-shared.safetensors')];
    await expectUsageError(args, /--in: expected only tensors the moe component uses .*4 unused: params\.shared_expert\.down_proj\.weight/);
    const allowed = await cli(...args, '--allow-unused');
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/warning: .*params\.shared_expert_gate\.weight/);
  });

  it('run writes only the outputs, and the inputs and params with --with-inputs', async () => {
    const lean = join(dir, 'lean.safetensors');
    const full = join(dir, 'full.safetensors');
    expect((await cli('run', 'rmsnorm', '--in', 'golden/ops/rmsnorm.safetensors', '--out', lean)).code).toBe(0);
    expect((await cli('run', 'rmsnorm', '--in', 'golden/ops/rmsnorm.safetensors', '--out', full, '--with-inputs')).code).toBe(0);
    expect(Object.keys(readSafetensorsFile(lean).tensors)).toEqual(['outputs.y']);
    expect(Object.keys(readSafetensorsFile(full).tensors).sort()).toEqual(['inputs.x', 'outputs.y', 'params.weight']);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
