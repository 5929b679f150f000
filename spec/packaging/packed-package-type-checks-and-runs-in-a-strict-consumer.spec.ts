// The package as a consumer installs it: `npm pack` (its prepack script builds dist/), installed from
// the local tarball into a fresh consumer with "strict": true, skipLibCheck off and no extra installs
// (no network: npm's cache, as left by `npm ci`; --prefer-offline only if the cache lacks a
// dependency). Optional dependencies (headless `gl` under gpu.js, only for the GPU backend) are
// omitted and no install script runs (--ignore-scripts): moe-oracle itself has none, and its CPU
// reference needs no native build. The README's worked example must type-check there with real types (a Tensor is not
// `any`), run, and `moe-oracle golden check` must check the package's own suite. The tarball ships a
// LICENSE, no source maps and no install scripts. Inside the repository the same example runs through
// the package's self-reference ("exports").
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve('.');
const dir = mkdtempSync(join(tmpdir(), 'moe-oracle-consumer-'));
const consumer = join(dir, 'consumer');
const inRepoExample = join(repo, `.readme-example-${process.pid}.tmp.mjs`);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(inRepoExample, { force: true });
});

/** The README's worked example (the first ```ts block). */
const example = /## A worked example\n\n```ts\n([\s\S]*?)```/.exec(readFileSync('README.md', 'utf8'))![1];

function npm(args: string[], cwd: string) {
  return spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
}

let tarball = '';
let files: string[] = [];
beforeAll(() => {
  const packed = npm(['pack', '--json', '--pack-destination', dir], repo);
  expect(packed.status, packed.stderr).toBe(0);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, info[0].filename);
  files = info[0].files.map((f) => f.path);

  execFileSync('mkdir', ['-p', consumer]);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false, outDir: 'out' }, include: ['example.ts'] }),
  );
  // The example, plus two lines that fail to type-check if the package's types degrade to `any`.
  const typed = `${example}\nconst first: number = out.output.data[0];\n// @ts-expect-error a Tensor's data is a Float32Array, not strings\nconst wrong: string = out.output.data;\nconsole.log(first === out.output.data[0], typeof wrong);\n`;
  writeFileSync(join(consumer, 'example.ts'), typed);
  const flags = ['--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'];
  let installed = npm(['install', '--offline', ...flags, tarball], consumer);
  if (installed.status !== 0) installed = npm(['install', '--prefer-offline', ...flags, tarball], consumer);
  expect(installed.status, installed.stderr).toBe(0);
}, 120_000);

describe('the packed package', () => {
  it('ships a LICENSE, the compiled code, the golden suite, and no source maps or sources', () => {
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('golden/index.json');
    expect(files.filter((f) => f.endsWith('.map') || f.startsWith('src/'))).toEqual([]);
    const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(Object.keys(manifest.scripts)).not.toContain(script);
  });

  it('type-checks the README example in a strict consumer (real types, no skipLibCheck) and runs it', () => {
    const tsc = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', consumer], { encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const run = spawnSync(process.execPath, [join(consumer, 'out/example.js')], { cwd: consumer, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('true object');
    expect(run.stdout).toMatch(/\[ \d, \d \]/); // the experts each token chose
  });

  it('runs `moe-oracle golden check` against its own golden suite from any folder', () => {
    const check = spawnSync(process.execPath, [join(consumer, 'node_modules/moe-oracle/bin/moe-oracle.js'), 'golden', 'check'], { cwd: consumer, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/all \d+ cases .*node_modules\/moe-oracle\/golden regenerate byte for byte/);
    const version = spawnSync(process.execPath, [join(consumer, 'node_modules/moe-oracle/bin/moe-oracle.js'), '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('runs the README example inside the repository through the self-reference', () => {
    writeFileSync(inRepoExample, example);
    const run = spawnSync(process.execPath, [inRepoExample], { cwd: repo, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\[ \d, \d \]/);
  });
});
