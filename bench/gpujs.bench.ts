// `npm run bench:gpu`: the MoE layer forward (k = 2 of N = 8 SwiGLU experts, sizes in
// bench/gpujs/bench-sizes.ts) on the cpu reference and on the gpujs backend in each gpu.js mode:
// Node (headlessgl under xvfb-run, gpu.js's cpu mode) and Chromium (webgl2, webgl, webgpu), median
// of a few runs after a warm-up, reported as ratios to the reference measured in the same run.
// On a machine without a GPU, headless-gl renders with Mesa's llvmpipe and Chromium with SwiftShader:
// both are CPU emulations of a GPU, so these ratios are not GPU speeds. The gpujs backend also reads
// every kernel's result back to the host (src/backends/gpujs/backend.ts), which a real GPU pays for too.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

type Row = { mode: string; size?: string; milliseconds?: number; notRun?: string };

const script = join(import.meta.dirname, 'gpujs', 'bench-node.ts');
const node = [process.execPath, '--import', 'tsx', script, 'headlessgl', 'cpu'];
const command = process.env.DISPLAY ? node : ['xvfb-run', '-a', ...node];
const child = spawnSync(command[0], command.slice(1), { encoding: 'utf8' });
const rows: Row[] = child.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
if (!rows.some((r) => r.mode === 'reference')) throw new Error(`the Node benchmark did not run: ${child.stderr || child.error?.message}`);

try {
  const { withPage } = await import('./gpujs/browser.js');
  await withPage(async (page) => {
    page.setDefaultTimeout(600_000);
    for (const mode of ['webgl2', 'webgl', 'webgpu']) rows.push(...((await page.evaluate((m) => (globalThis as any).moeOracleGpujs.benchMode(m), mode)) as Row[]));
  });
} catch (error) {
  for (const mode of ['webgl2', 'webgl', 'webgpu']) rows.push({ mode, notRun: `the browser could not start: ${(error as Error).message.split('\n')[0]}` });
}

const sizes = [...new Set(rows.filter((r) => r.size).map((r) => r.size!))];
const modes = [...new Set(rows.map((r) => r.mode))];
const reference = (size: string) => rows.find((r) => r.mode === 'reference' && r.size === size)!.milliseconds!;
console.log('MoE layer forward, k = 2 of N = 8 experts: median ms, and time / cpu reference (one run; SwiftShader and llvmpipe are CPU emulations, not GPU speeds)\n');
console.log('mode'.padEnd(12) + sizes.map((s) => s.padEnd(30)).join(''));
for (const mode of modes) {
  const notRun = rows.find((r) => r.mode === mode && r.notRun);
  if (notRun) {
    console.log(`${mode.padEnd(12)}not run: ${notRun.notRun}`);
    continue;
  }
  console.log(mode.padEnd(12) + sizes.map((size) => {
    const ms = rows.find((r) => r.mode === mode && r.size === size)?.milliseconds;
    return (ms === undefined ? '-' : `${ms.toFixed(1)} ms (${(ms / reference(size)).toFixed(2)}x)`).padEnd(30);
  }).join(''));
}
