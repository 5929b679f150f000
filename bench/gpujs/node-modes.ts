// The Node half of `npm run verify:gpu`: verifies the gpujs backend in gpu.js's Node modes
// (`headlessgl`, which needs the `gl` package and an X display: run under `xvfb-run -a`; and `cpu`,
// gpu.js's JavaScript fallback, which is not GPU verification) on every committed golden case, and
// prints one JSON line per mode: { mode, results } or { mode, notRun: reason }.
//
//   xvfb-run -a node --import tsx bench/gpujs/node-modes.ts headlessgl cpu
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGpujsBackend, verifyCasesOn, type CaseEntry } from '../../src/index.js';
import { openGpu } from './open-gpu.js';

const goldenDir = join(import.meta.dirname, '..', '..', 'golden');
const cases = (JSON.parse(readFileSync(join(goldenDir, 'index.json'), 'utf8')) as { cases: CaseEntry[] }).cases;

for (const mode of process.argv.slice(2)) {
  const opened = await openGpu(mode);
  if ('notRun' in opened) {
    console.log(JSON.stringify({ mode, notRun: opened.notRun }));
    continue;
  }
  const backend = createGpujsBackend(opened.gpu);
  const started = performance.now();
  const results = await verifyCasesOn(cases, async (file) => readFileSync(join(goldenDir, file)), backend);
  backend.destroy();
  opened.gpu.destroy?.();
  console.log(JSON.stringify({ mode, results, seconds: (performance.now() - started) / 1000 }));
}
