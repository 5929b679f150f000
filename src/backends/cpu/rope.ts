/**
 * cpu kernel `rope`: rotary position embedding (Su et al. 2021, RoFormer) of x [B, T, d], d even.
 *
 * Feature pair i (i < d/2) of row t is rotated by the angle a = positions[t] · θ_i:
 *
 *   (u, v) ↦ (u·cos a − v·sin a,  v·cos a + u·sin a) · attentionFactor
 *
 * The three layouts differ only in which two features form pair i and where the results go:
 *
 *   'interleaved'    reads (2i, 2i+1), writes (2i, 2i+1)         DeepSeek-V3 inference/model.py `apply_rotary_emb`
 *                                                                (view_as_complex over adjacent pairs)
 *   'half'           reads (i, i + d/2), writes (i, i + d/2)     Hugging Face `rotate_half` / `apply_rotary_pos_emb`
 *   'hf-interleave'  reads (2i, 2i+1), writes (i, i + d/2)       Hugging Face DeepseekV3 `apply_rotary_pos_emb_interleave`
 *                                                                (rope_interleave=true: de-interleave, then rotate halves)
 *
 * 'interleaved' and 'hf-interleave' rotate the same pairs by the same angles and differ only by a fixed
 * permutation of the output features, applied to queries and keys alike, so their dot products (and the
 * attention built on them) are equal; the rope keys they cache are permutations of each other.
 *
 * Numerics: the angle is the float64 product of the integer position and the float64 θ_i; cos and sin
 * are Math.cos / Math.sin of it in float64; each output is evaluated in float64 and rounded to float32
 * once.
 */
import { tensor, type Tensor } from '../../tensor/tensor.js';
import type { RopeRotation } from '../kernels.js';

export function ropeCpu(x: Tensor, rotation: RopeRotation): Tensor {
  const [batches, tokens, width] = x.shape;
  const half = width / 2;
  const { positions, inverseFrequencies, attentionFactor, layout } = rotation;
  const out = new Float32Array(x.size);
  const data = x.data;
  for (let t = 0; t < tokens; t++) {
    for (let i = 0; i < half; i++) {
      const angle = positions[t] * inverseFrequencies[i];
      const cos = Math.cos(angle) * attentionFactor;
      const sin = Math.sin(angle) * attentionFactor;
      const [readU, readV] = layout === 'half' ? [i, i + half] : [2 * i, 2 * i + 1];
      const [writeU, writeV] = layout === 'interleaved' ? [2 * i, 2 * i + 1] : [i, i + half];
      for (let b = 0; b < batches; b++) {
        const row = (b * tokens + t) * width;
        const u = data[row + readU];
        const v = data[row + readV];
        out[row + writeU] = u * cos - v * sin;
        out[row + writeV] = v * cos + u * sin;
      }
    }
  }
  return tensor(out, [batches, tokens, width]);
}
