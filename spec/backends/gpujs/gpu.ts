// The gpu.js modes the gpujs specs can use in this process, and why a mode is missing. `cpu` (gpu.js's
// JavaScript fallback: the same kernel functions, run as JavaScript) needs only the gpu.js package;
// `headlessgl` also needs the `gl` package built and an X display (`xvfb-run -a npm test`).
// `npm run verify:gpu` runs the real GPU modes (headless-gl, and Chromium's WebGL2 / WebGL / WebGPU).
import { createRequire } from 'node:module';
import type { GpuLike } from '../../../src/index.js';

export async function openGpu(mode: 'cpu' | 'headlessgl'): Promise<{ gpu?: GpuLike; reason: string }> {
  if (mode === 'headlessgl') {
    try {
      createRequire(import.meta.url)('gl');
    } catch (error) {
      return { reason: `the gl package cannot load (${String((error as Error).message).split('\n')[0]}); npm run verify:gpu builds and runs it` };
    }
    if (!process.env.DISPLAY) return { reason: 'no X display: run under xvfb-run -a, or npm run verify:gpu' };
  }
  try {
    const { GPU } = (await import('gpu.js')).default as unknown as { GPU: new (settings: { mode: string }) => GpuLike };
    const gpu = new GPU({ mode });
    if (gpu.mode !== mode) return { reason: `gpu.js chose mode '${gpu.mode}'` };
    return { gpu, reason: '' };
  } catch (error) {
    return { reason: `gpu.js could not start: ${(error as Error).message.split('\n')[0]}` };
  }
}
