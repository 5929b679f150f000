/**
 * gpt-oss expert (OpenAI gpt-oss-20b / -120b; Hugging Face modeling_gpt_oss.py GptOssExperts, openai/gpt-oss
 * torch/model.py MLPBlock): a SwiGLU variant with biases, a clamp, and a shifted up projection:
 *
 *   gate = x·W_gateᵀ + b_gate,  up = x·W_upᵀ + b_up
 *   g = min(gate, 7.0),  u = clamp(up, −7.0, 7.0)
 *   y = ((u + 1) · g · σ(1.702·g)) · W_downᵀ + b_down
 *
 *   x [n, H]   W_gate, W_up [I, H]   b_gate, b_up [I]   W_down [H, I]   b_down [H]   →   y [n, H]
 *
 * The checkpoint stores the experts fused (names.ts, naming 'gpt-oss'): `experts.gate_up_proj`
 * [E, H, 2I] with gate and up columns interleaved (gate = columns 0, 2, 4, …, up = 1, 3, 5, …; the
 * `gate_up[..., ::2]`, `gate_up[..., 1::2]` of Hugging Face), `experts.gate_up_proj_bias` [E, 2I],
 * `experts.down_proj` [E, I, H], `experts.down_proj_bias` [E, H], all in x·W layout ([in, out]);
 * `splitGptOssExpert` turns expert e into the [out, in] matrices above. Each output column of the fused
 * product is its own dot product, so splitting first gives the same float32 values.
 *
 * Kernels: linear (with bias), clampedSwiGLU (src/backends). Numerics: each projection is a float64
 * dot product plus bias, rounded once; the gate is evaluated in float64 and rounded once.
 */
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { synchronousBackendOf, type BackendOption } from '../backends/registry.js';
import { checkObject } from '../tensor/errors.js';
import { checkFinite, checkProducedFinite, checkShape, contiguous, tensor, type Tensor } from '../tensor/tensor.js';

/** gpt-oss's constants (`alpha`, `limit` of GptOssExperts; `swiglu_limit` in its config). */
export const GPT_OSS_ALPHA = 1.702;
export const GPT_OSS_LIMIT = 7.0;

/** One gpt-oss expert's matrices, in Linear layout ([out, in]). */
export interface GptOssExpertParams {
  /** [I, H] gate projection. */
  gate: Tensor;
  /** [I] gate bias. */
  gateBias: Tensor;
  /** [I, H] up projection. */
  up: Tensor;
  /** [I] up bias. */
  upBias: Tensor;
  /** [H, I] down projection. */
  down: Tensor;
  /** [H] down bias. */
  downBias: Tensor;
}

/**
 * Expert e of the fused checkpoint tensors. gateUp [E, H, 2I] (interleaved columns), gateUpBias [E, 2I],
 * down [E, I, H], downBias [E, H] → that expert's matrices in [out, in] layout. `layout` 'halves' splits
 * the 2I columns into two halves instead (gate first), as Llama 4's `experts.gate_up_proj` does.
 */
export function splitFusedExpert(
  fused: { gateUp: Tensor; down: Tensor; gateUpBias?: Tensor; downBias?: Tensor },
  expert: number,
  layout: 'interleaved' | 'halves',
): { gate: Tensor; up: Tensor; down: Tensor; gateBias?: Tensor; upBias?: Tensor; downBias?: Tensor } {
  const [, H, twoI] = fused.gateUp.shape;
  const I = twoI / 2;
  const gateUp = contiguous(fused.gateUp).data.subarray(expert * H * twoI, (expert + 1) * H * twoI);
  const column = (j: number, which: 0 | 1) => (layout === 'interleaved' ? 2 * j + which : which * I + j);
  const gate = new Float32Array(I * H);
  const up = new Float32Array(I * H);
  for (let j = 0; j < I; j++) {
    for (let h = 0; h < H; h++) {
      gate[j * H + h] = gateUp[h * twoI + column(j, 0)];
      up[j * H + h] = gateUp[h * twoI + column(j, 1)];
    }
  }
  const downData = contiguous(fused.down).data.subarray(expert * I * H, (expert + 1) * I * H);
  const down = new Float32Array(H * I);
  for (let j = 0; j < I; j++) for (let h = 0; h < H; h++) down[h * I + j] = downData[j * H + h];
  const result: ReturnType<typeof splitFusedExpert> = { gate: tensor(gate, [I, H]), up: tensor(up, [I, H]), down: tensor(down, [H, I]) };
  if (fused.gateUpBias !== undefined) {
    const bias = contiguous(fused.gateUpBias).data.subarray(expert * twoI, (expert + 1) * twoI);
    result.gateBias = tensor(Float32Array.from({ length: I }, (_, j) => bias[column(j, 0)]), [I]);
    result.upBias = tensor(Float32Array.from({ length: I }, (_, j) => bias[column(j, 1)]), [I]);
  }
  if (fused.downBias !== undefined) result.downBias = tensor(contiguous(fused.downBias).data.slice(expert * H, (expert + 1) * H), [H]);
  return result;
}

/** The expert on the backend: x [n, H] and the matrices already on the device → [n, H]. */
export function gptOssExpertOnDevice(kernels: Kernels, x: DeviceTensor, w: { gate: DeviceTensor; gateBias: DeviceTensor; up: DeviceTensor; upBias: DeviceTensor; down: DeviceTensor; downBias: DeviceTensor }): DeviceTensor {
  const gate = kernels.linear(x, w.gate, w.gateBias);
  const up = kernels.linear(x, w.up, w.upBias);
  return kernels.linear(kernels.clampedSwiGLU(gate, up, { alpha: GPT_OSS_ALPHA, limit: GPT_OSS_LIMIT }), w.down, w.downBias);
}

/** Checks one gpt-oss expert's matrices; returns I. */
export function checkGptOssExpertParams(params: GptOssExpertParams, hidden: number): number {
  checkObject('params', params, 'an object { gate, up, down, gateBias, upBias, downBias } of tensors');
  checkShape('gate.weight', params.gate, ['I', hidden]);
  const I = params.gate.shape[0];
  checkShape('up.weight', params.up, [I, hidden]);
  checkShape('down.weight', params.down, [hidden, I]);
  checkShape('gate.bias', params.gateBias, [I]);
  checkShape('up.bias', params.upBias, [I]);
  checkShape('down.bias', params.downBias, [hidden]);
  for (const name of ['gate', 'up', 'down', 'gateBias', 'upBias', 'downBias'] as const) checkFinite(name, params[name]);
  return I;
}

/** gpt-oss expert forward. x [n, H] → [n, H]. */
export function gptOssExpert(x: Tensor, params: GptOssExpertParams, options: BackendOption = {}): Tensor {
  checkShape('x', x, ['n', 'H']);
  checkGptOssExpertParams(params, x.shape[1]);
  checkFinite('x', x);
  const kernels = synchronousBackendOf(options, 'moeForwardAsync');
  const up = (t: Tensor) => kernels.upload(t);
  const y = kernels.readSync(gptOssExpertOnDevice(kernels, up(x), {
    gate: up(params.gate), gateBias: up(params.gateBias), up: up(params.up), upBias: up(params.upBias), down: up(params.down), downBias: up(params.downBias),
  }));
  checkProducedFinite('expert', 'y', y);
  return y;
}
