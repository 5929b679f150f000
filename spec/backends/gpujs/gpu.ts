// The gpu.js modes the gpujs specs can use in this process, and why a mode is missing (the same check
// as `npm run verify:gpu`, bench/gpujs/open-gpu.ts). `cpu` (gpu.js's JavaScript fallback: the same
// kernel functions, run as JavaScript) needs only the gpu.js package; `headlessgl` also needs the
// `gl` package built and an X display (`xvfb-run -a npm test`; `npm run verify:gpu` runs it in CI).
import type { GpuLike } from '../../../src/index.js';
import { openGpu as open } from '../../../bench/gpujs/open-gpu.js';

export async function openGpu(mode: 'cpu' | 'headlessgl'): Promise<{ gpu?: GpuLike; reason: string }> {
  const opened = await open(mode);
  return 'notRun' in opened ? { reason: opened.notRun } : { gpu: opened.gpu, reason: '' };
}
