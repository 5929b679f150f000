/**
 * Rotary position embedding parameters: the inverse frequencies θ_i, the cos/sin factor, and MLA's
 * softmax scale with the YaRN `mscale` correction. The rotation itself is the `rope` kernel
 * (src/backends/cpu/rope.ts), which also documents the three layouts.
 *
 * Default RoPE (Su et al. 2021), width d (even), i < d/2:
 *
 *   θ_i = 1 / base^(2i/d)                   angle of pair i at position p: p · θ_i
 *
 * YaRN (Peng et al. 2023), scale factor s, original context L, β_fast, β_slow:
 *
 *   dim(r)   = d · ln(L / (2π r)) / (2 ln base)       the pair index that turns r times over L
 *   low      = dim(β_fast),  high = dim(β_slow)        'hf': floor / ceil, clamped to [0, d−1]
 *                                                     'deepseek': round half to even, clamped to [0, d−1]
 *   ramp_i   = clamp((i − low) / (high − low), 0, 1)   'hf' (high += 0.001 when equal);
 *                                                     'deepseek' divides by high − low + 0.001
 *   θ_i      = θ_i^default · ((1 − ramp_i) + ramp_i / s)   (fast pairs kept, slow pairs interpolated)
 *   m(s, k)  = 1 if s ≤ 1, else 0.1 · k · ln s + 1
 *
 *   cos/sin factor   'hf': attention_factor, or m(s, mscale) / m(s, mscale_all_dim) when both are set,
 *                    else m(s, 1) (Hugging Face `_compute_yarn_parameters`); 'deepseek': 1
 *   softmax scale    MLA: 1/√(qk_nope_head_dim + qk_rope_head_dim) · m², with m = m(s, mscale_all_dim)
 *                    when mscale_all_dim ≠ 0 ('hf', Hugging Face `DeepseekV3Attention.__init__`) or
 *                    m = m(s, mscale) ('deepseek', DeepSeek-V3 inference/model.py `MLA.__init__`);
 *                    MHA / GQA / MQA: 1/√head_dim
 *
 * DeepSeek's reference applies YaRN only when its max_seq_len exceeds original_seq_len; here a
 * configured `scaling` is always applied, as Hugging Face does.
 *
 * Numerics: θ_i is computed in float64 (Math.pow, then the YaRN blend in float64) and never rounded
 * to float32; the kernel forms each angle p · θ_i in float64 and takes Math.cos / Math.sin of it.
 * Hugging Face and DeepSeek compute inv_freq in float32 (`torch.arange(...).float()`, `base ** (...)`),
 * so their θ_i carry a relative error up to about 2^-24, and their angle at position p an absolute error
 * up to about p · θ_i · 2^-24 (2.4e-4 rad at p = 4096 for θ_0 = 1): their cos/sin, and everything after,
 * differ from ours by that much at long positions, more than float32 rounding of the products.
 */
import type { RopeRotation } from '../backends/kernels.js';
import { checkFiniteNumber, checkInteger, checkObject, MoEOracleError } from '../tensor/errors.js';
import { MAX_TENSOR_ELEMENTS } from '../tensor/tensor.js';
import { resolveAttentionConfig, resolveRope, type ResolvedMLAConfig, type ResolvedRopeConfig, type ResolvedStandardAttentionConfig } from './config.js';

/** The `rope` argument checked field by field (a resolved config resolves to an equal one). */
function checkedRope(rope: ResolvedRopeConfig): ResolvedRopeConfig {
  checkObject('rope', rope, 'rope settings { theta, layout, scaling }');
  return resolveRope(rope, 'half', 'rope');
}

/** m(s, k) = 0.1 · k · ln s + 1 (1 when s ≤ 1): Hugging Face `yarn_get_mscale`. */
export function yarnMscale(factor: number, k = 1): number {
  checkFiniteNumber('factor', factor);
  checkFiniteNumber('k', k);
  return factor <= 1 ? 1 : 0.1 * k * Math.log(factor) + 1;
}

/** Round half to even, as torch.round. */
function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const difference = value - floor;
  if (difference !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** θ_i for i < width/2, float64. */
export function inverseFrequencies(rope: ResolvedRopeConfig, width: number): Float64Array {
  rope = checkedRope(rope);
  if (checkInteger('width', width, 0, MAX_TENSOR_ELEMENTS) % 2 !== 0) throw new MoEOracleError('width', 'an even number (RoPE rotates pairs of features)', String(width));
  const half = width / 2;
  const theta = new Float64Array(half);
  for (let i = 0; i < half; i++) theta[i] = 1 / Math.pow(rope.theta, (2 * i) / width);
  const scaling = rope.scaling;
  if (scaling === null) return theta;
  const correctionDim = (rotations: number) => (width * Math.log(scaling.originalMaxPositionEmbeddings / (rotations * 2 * Math.PI))) / (2 * Math.log(rope.theta));
  const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
  let low: number;
  let high: number;
  let denominator: number;
  if (scaling.variant === 'hf') {
    low = Math.max(Math.floor(correctionDim(scaling.betaFast)), 0);
    high = Math.min(Math.ceil(correctionDim(scaling.betaSlow)), width - 1);
    denominator = high === low ? 0.001 : high - low;
  } else {
    low = clamp(roundHalfToEven(correctionDim(scaling.betaFast)), 0, width - 1);
    high = clamp(roundHalfToEven(correctionDim(scaling.betaSlow)), 0, width - 1);
    denominator = high - low + 0.001;
  }
  for (let i = 0; i < half; i++) {
    const ramp = clamp((i - low) / denominator, 0, 1);
    theta[i] = theta[i] * (1 - ramp) + (theta[i] / scaling.factor) * ramp;
  }
  return theta;
}

/** The factor on cos and sin: 1 without YaRN. */
export function ropeAttentionFactor(rope: ResolvedRopeConfig): number {
  const s = checkedRope(rope).scaling;
  if (s === null || s.variant === 'deepseek') return 1;
  if (s.attentionFactor !== null) return s.attentionFactor;
  if (s.mscale !== 0 && s.mscaleAllDim !== 0) return yarnMscale(s.factor, s.mscale) / yarnMscale(s.factor, s.mscaleAllDim);
  return yarnMscale(s.factor);
}

/** The scale applied to q·k before the softmax. */
export function softmaxScale(config: ResolvedMLAConfig | ResolvedStandardAttentionConfig): number {
  config = resolveAttentionConfig(config);
  if (config.kind !== 'mla') return 1 / Math.sqrt(config.headDim);
  const scale = 1 / Math.sqrt(config.qkNopeHeadDim + config.qkRopeHeadDim);
  const s = config.rope.scaling;
  if (s === null) return scale;
  if (s.variant === 'deepseek') return scale * yarnMscale(s.factor, s.mscale) ** 2;
  if (s.mscaleAllDim === 0) return scale;
  return scale * yarnMscale(s.factor, s.mscaleAllDim) ** 2;
}

/** The `rope` kernel's arguments for rows at `positions`. */
export function ropeRotation(rope: ResolvedRopeConfig, width: number, positions: Int32Array): RopeRotation {
  return { positions, inverseFrequencies: inverseFrequencies(rope, width), attentionFactor: ropeAttentionFactor(rope), layout: rope.layout };
}
