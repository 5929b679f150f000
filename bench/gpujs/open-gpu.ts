// Opens gpu.js in one of its Node modes, or says why it cannot: the `gl` package missing or not
// built (an optional dependency of gpu.js), no X display, or gpu.js settling on another mode.
import { createRequire } from 'node:module';
import type { GpuLike } from '../../src/index.js';

export async function openGpu(mode: string): Promise<{ gpu: GpuLike } | { notRun: string }> {
  if (mode === 'headlessgl') {
    try {
      createRequire(import.meta.url)('gl');
    } catch (error) {
      return { notRun: `the gl package cannot load (${String((error as Error).message).split('\n')[0]}); it builds from source with libxi-dev libx11-dev libxext-dev libgl1-mesa-dev pkg-config installed` };
    }
    if (!process.env.DISPLAY) return { notRun: 'no X display (run under xvfb-run -a)' };
  }
  try {
    const { GPU } = (await import('gpu.js')).default as unknown as { GPU: new (settings: { mode: string }) => GpuLike };
    const gpu = new GPU({ mode });
    if (gpu.mode !== mode) return { notRun: `gpu.js chose mode '${gpu.mode}' instead of '${mode}'` };
    return { gpu };
  } catch (error) {
    return { notRun: `gpu.js could not start mode '${mode}': ${String((error as Error).message).split('\n')[0]}` };
  }
}
