/**
 * cpu kernels that move attention data between layouts, copying float32 values exactly (no arithmetic):
 *
 *   splitHeads(x, heads, {start, width, stride})   x [T, C] → [heads, T, width]
 *                                                  out[h, t, j] = x[t, start + h·stride + j]
 *   mergeHeads(x)                                  x [B, T, d] → [T, B·d],  out[t, b·d + j] = x[b, t, j]
 *   concatLastAxis(parts)                          [M, K_i] → [M, ΣK_i];  [B_i, M, K_i] (B_i = B or 1) → [B, M, ΣK_i]
 *
 * A projection's output [T, heads·d] is what PyTorch's `.view(T, heads, d).transpose(0, 1)` turns into
 * heads (Hugging Face `DeepseekV3Attention`, `MixtralAttention`); `splitHeads` is that view, plus the
 * column split of `torch.split(q, [qk_nope_head_dim, qk_rope_head_dim], dim=-1)` in the same step.
 */
import { tensor, type Tensor } from '../../tensor/tensor.js';

export function splitHeadsCpu(x: Tensor, heads: number, columns: { start: number; width: number; stride: number }): Tensor {
  const [tokens, width] = [x.shape[0], x.shape[1]];
  const out = new Float32Array(heads * tokens * columns.width);
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < tokens; t++) {
      const from = t * width + columns.start + h * columns.stride;
      out.set(x.data.subarray(from, from + columns.width), (h * tokens + t) * columns.width);
    }
  }
  return tensor(out, [heads, tokens, columns.width]);
}

export function mergeHeadsCpu(x: Tensor): Tensor {
  const [heads, tokens, width] = x.shape;
  const out = new Float32Array(x.size);
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < tokens; t++) out.set(x.data.subarray((h * tokens + t) * width, (h * tokens + t + 1) * width), (t * heads + h) * width);
  }
  return tensor(out, [tokens, heads * width]);
}

export function concatLastAxisCpu(parts: readonly Tensor[]): Tensor {
  const rank = parts[0].shape.length;
  const batches = rank === 3 ? Math.max(...parts.map((p) => p.shape[0])) : 1;
  const rows = parts[0].shape[rank - 2];
  const total = parts.reduce((sum, p) => sum + p.shape[rank - 1], 0);
  const out = new Float32Array(batches * rows * total);
  let offset = 0;
  for (const part of parts) {
    const width = part.shape[rank - 1];
    const partBatches = rank === 3 ? part.shape[0] : 1;
    for (let b = 0; b < batches; b++) {
      const source = partBatches === 1 ? 0 : b; // a batch-1 part is shared by every batch entry
      for (let r = 0; r < rows; r++) {
        const from = (source * rows + r) * width;
        out.set(part.data.subarray(from, from + width), (b * rows + r) * total + offset);
      }
    }
    offset += width;
  }
  return tensor(out, rank === 3 ? [batches, rows, total] : [rows, total]);
}
