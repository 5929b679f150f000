// Every gpujs kernel agrees with the cpu loop it mirrors within the tolerance model (llm.c-style
// validation, src/backends/gpujs/validate.ts), and the MoE layer and the router run through it agree
// with cpu within the layer's tolerance: in gpu.js's `cpu` mode (the same kernel functions run as
// JavaScript; always available) and in `headlessgl` (skipped, with the reason, without the `gl`
// package or an X display; `npm run verify:gpu` runs it in CI).
import { describe, expect, it } from 'vitest';
import { createGpujsBackend, initMoEParams, moeForward, validateKernels, verifyCaseOn, type MoEConfig } from '../../../src/index.js';
import { randomInput } from '../../helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openGpu } from './gpu.js';

for (const mode of ['cpu', 'headlessgl'] as const) {
  const { gpu, reason } = await openGpu(mode);
  if (!gpu) console.warn(`gpujs specs in mode '${mode}' skipped: ${reason}`);
  describe.skipIf(gpu === undefined)(`gpujs backend, gpu.js mode '${mode}'${gpu ? '' : ` (skipped: ${reason})`}`, () => {
    const backend = gpu && createGpujsBackend(gpu);

    it('each kernel matches its cpu loop within the fp32 tolerance of its reduction length', async () => {
      const results = await validateKernels(backend!);
      expect(results.length).toBeGreaterThanOrEqual(25);
      for (const { kernel, comparison } of results) expect({ kernel, passed: comparison.passed, reasons: comparison.reasons }).toEqual({ kernel, passed: true, reasons: [] });
    });

    it('verify passes committed golden cases of every component run on it', async () => {
      for (const file of ['moe/shared-expert-gated', 'moe/deepseek-v3-tiny', 'router/preset-gpt-oss', 'expert/gelu', 'ops/softmax-extreme', 'ops/rmsnorm', 'ops/activations']) {
        const result = await verifyCaseOn(readFileSync(join(import.meta.dirname, '../../../golden', `${file}.safetensors`)), backend!, file);
        expect({ file, failures: result.failures }).toEqual({ file, failures: [] });
        expect(result.worstRatio).toBeLessThan(1);
      }
    });

    it('the layer on gpujs is not bit-identical to cpu, but within float32 rounding of it', () => {
      const config: MoEConfig = { hiddenSize: 24, numExperts: 6, expertIntermediateSize: 40, router: { topK: 2 } };
      const params = initMoEParams(config, 3);
      const x = randomInput(10, 24, 3);
      const reference = moeForward(x, params, config).output.data;
      const actual = moeForward(x, params, config, { backend }).output.data;
      let largest = 0;
      for (let i = 0; i < reference.length; i++) largest = Math.max(largest, Math.abs(actual[i] - reference[i]));
      expect(largest).toBeLessThan(1e-5);
    });
  });
}
