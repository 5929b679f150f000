/**
 * cpu kernel `clampedSwiGLU`: gpt-oss's gated activation (Hugging Face modeling_gpt_oss.py
 * GptOssExperts._apply_gate; openai/gpt-oss torch/model.py swiglu), element-wise:
 *
 *   g = min(gate, limit),  u = clamp(up, −limit, limit),  out = (u + 1) · g · σ(α·g)
 *
 *   gate [n, I], up [n, I] → [n, I]      gpt-oss: α = 1.702, limit = 7.0
 *
 * Each element is computed in float64 from the float32 inputs (σ as in src/tensor/activations.ts) and
 * rounded to float32 once.
 */
import { sigmoidScalar } from '../../tensor/activations.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';

export function clampedSwiGLUCpu(gate: Tensor, up: Tensor, alpha: number, limit: number): Tensor {
  const out = new Float32Array(gate.size);
  for (let i = 0; i < out.length; i++) {
    const g = Math.min(gate.data[i], limit);
    const u = Math.min(Math.max(up.data[i], -limit), limit);
    out[i] = (u + 1) * g * sigmoidScalar(alpha * g);
  }
  return tensor(out, gate.shape);
}
