// `npm run verify:gpu`: verifies the gpujs backend against the committed golden cases with
// moe-oracle's own `verify` (the tolerance model and near-tie routing rule every backend gets), in
//   - Node: gpu.js's `headlessgl` mode (under `xvfb-run -a` when no X display is set) and `cpu` mode
//     (gpu.js's JavaScript fallback: reported, not GPU verification);
//   - Chromium (Debian's, through playwright-core, SwiftShader): `webgl2`, `webgl`, `webgpu`.
// Prints the matrix component family × mode (pass / fail, worst error / allowed, ULP histogram,
// near-tie flips), writes it as JSON (--json FILE, default gpujs-verify.json), and exits 1 when a
// family fails in any mode, or when a mode of --require (default headlessgl,webgl2,webgpu) did not
// run; a mode that could not start is listed as not run with the reason, never as passed.
//
//   npm run verify:gpu [-- --json out.json] [--require headlessgl,webgl2,webgpu] [--modes headlessgl,cpu,webgl2,webgl,webgpu]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CaseResult, type MatrixCell } from '../../src/index.js';
import { matrixColumn } from '../../src/backends/gpujs/verify-cases.js';

const NODE_MODES = ['headlessgl', 'cpu'];
const BROWSER_MODES = ['webgl2', 'webgl', 'webgpu'];

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}
const modes = option('modes', [...NODE_MODES, ...BROWSER_MODES].join(',')).split(',').filter(Boolean);
const required = option('require', 'headlessgl,webgl2,webgpu').split(',').filter(Boolean);
const jsonPath = option('json', 'gpujs-verify.json');
// Cases known to fail, named one by one (CI names them with the reason); they still print as FAIL,
// do not fail the exit status, and do fail it once they pass (so the list cannot go stale).

type ModeOutcome = { mode: string; results?: CaseResult[]; notRun?: string; seconds?: number };

/** The Node modes, in a child process (under xvfb-run when there is no display and it exists). */
function runNodeModes(wanted: string[]): ModeOutcome[] {
  if (wanted.length === 0) return [];
  const script = join(import.meta.dirname, 'node-modes.ts');
  const node = [process.execPath, '--import', 'tsx', script, ...wanted];
  const hasXvfb = spawnSync('sh', ['-c', 'command -v xvfb-run'], { encoding: 'utf8' }).status === 0;
  const command = !process.env.DISPLAY && hasXvfb ? ['xvfb-run', '-a', ...node] : node;
  const child = spawnSync(command[0], command.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
  const outcomes = child.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as ModeOutcome);
  for (const mode of wanted) {
    if (outcomes.some((o) => o.mode === mode)) continue;
    const why = (child.stderr || child.error?.message || `exit ${child.status}`).trim().split('\n').slice(-3).join(' | ');
    outcomes.push({ mode, notRun: `the Node run ended before this mode: ${why}` });
  }
  if (!process.env.DISPLAY && !hasXvfb) {
    for (const o of outcomes) if (o.mode === 'headlessgl' && o.notRun) o.notRun += ' (xvfb-run is not installed: apt-get install xvfb xauth)';
  }
  return outcomes;
}

/** The browser modes, in one Chromium page. */
async function runBrowserModes(wanted: string[]): Promise<ModeOutcome[]> {
  if (wanted.length === 0) return [];
  try {
    const { withPage } = await import('./browser.js');
    return await withPage(async (page) => {
      page.setDefaultTimeout(300_000);
      const outcomes: ModeOutcome[] = [];
      for (const mode of wanted) outcomes.push(await page.evaluate((m) => (globalThis as any).moeOracleGpujs.verifyMode(m), mode));
      return outcomes;
    });
  } catch (error) {
    return wanted.map((mode) => ({ mode, notRun: `the browser could not start: ${String((error as Error).message).split('\n')[0]}` }));
  }
}

const outcomes = [...runNodeModes(modes.filter((m) => NODE_MODES.includes(m))), ...(await runBrowserModes(modes.filter((m) => BROWSER_MODES.includes(m))))];
const columns: Record<string, Record<string, MatrixCell>> = {};
for (const o of outcomes) if (o.results) columns[o.mode] = matrixColumn(o.results);
const families = [...new Set(Object.values(columns).flatMap((c) => Object.keys(c)))].sort();
const cellOf = (family: string, o: ModeOutcome): MatrixCell =>
  columns[o.mode]?.[family] ?? { status: 'not run', kernelCalls: 0, cases: 0, passed: 0, worstRatio: 0, worstAt: '', ulpHistogram: {} as MatrixCell['ulpHistogram'], nearTieFlips: 0, failures: [], reason: o.notRun ?? 'no case of this family ran' };

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`gpujs backend vs the cpu reference: every committed golden case, judged by verify (fp32, default tolerances)\n`);
console.log(pad('family', 16) + outcomes.map((o) => pad(o.mode, 22)).join(''));
for (const family of families) {
  console.log(pad(family, 16) + outcomes.map((o) => {
    const c = cellOf(family, o);
    return pad(c.status === 'not run' ? 'not run' : `${c.status} ${c.passed}/${c.cases} ${c.worstRatio.toFixed(3)}`, 22);
  }).join(''));
}
console.log(`\n(cell: status, cases passed, worst |error| / allowed over every float32 element; 'cpu only': the family ran no kernel on the backend, so it verifies nothing of it)\n`);
for (const o of outcomes) {
  if (o.notRun) {
    console.log(`${o.mode}: NOT RUN: ${o.notRun}`);
    continue;
  }
  console.log(`${o.mode} (${o.seconds?.toFixed(1)} s):`);
  for (const family of families) {
    const c = cellOf(family, o);
    const histogram = Object.entries(c.ulpHistogram).map(([bucket, count]) => `${bucket}:${count}`).join(' ');
    console.log(`  ${pad(family, 15)} ${pad(c.status, 8)} worst ${c.worstRatio.toFixed(3)} at ${pad(c.worstAt, 42)} ulps ${histogram}  near-tie flips ${c.nearTieFlips}  kernel calls ${c.kernelCalls}`);
    for (const failure of c.failures.slice(0, 5)) console.log(`      ${failure}`);
  }
}
const failed = [...new Set(outcomes.flatMap((o) => (o.results ?? []).filter((r) => !r.passed).map((r) => r.case)))];

const missing = required.filter((m) => !outcomes.some((o) => o.mode === m && o.results));
writeFileSync(jsonPath, JSON.stringify({ modes: outcomes.map((o) => ({ mode: o.mode, notRun: o.notRun ?? null, seconds: o.seconds ?? null })), matrix: Object.fromEntries(families.map((f) => [f, Object.fromEntries(outcomes.map((o) => [o.mode, cellOf(f, o)]))])), cases: Object.fromEntries(outcomes.map((o) => [o.mode, o.results ?? null])) }, null, 1));
console.log(`\nmatrix written to ${jsonPath}`);
if (failed.length > 0) console.log(`FAILED: ${failed.join(', ')}`);
if (missing.length > 0) console.log(`required modes that did not run: ${missing.join(', ')}`);
process.exit(failed.length > 0 || missing.length > 0 ? 1 : 0);
