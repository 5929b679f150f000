/**
 * The kinds of expert FFN, one list for the layer, the expert component and the config readers:
 *
 *   'swiglu'      y = W2 · (silu(W1·x) ⊙ W3·x)     Mixtral, DeepSeek, Qwen-MoE, OLMoE (swiglu.ts)
 *   'relu'        y = Wo · relu(Wi·x)              Switch Transformers, T5 (ffn.ts)
 *   'gelu'        y = Wo · gelu(Wi·x)  (erf form)   (ffn.ts)
 *   'gelu-tanh'   y = Wo · gelu_tanh(Wi·x)         GPT-2-style FFNs (ffn.ts)
 *   'gpt-oss'     y = Wd·((clamp(Wu·x + bu, ±7) + 1) · g·σ(1.702·g)) + bd,  g = min(Wg·x + bg, 7)
 *                                                  gpt-oss (gpt-oss.ts)
 */
export type ExpertKind = 'swiglu' | 'relu' | 'gelu' | 'gelu-tanh' | 'gpt-oss';

/** Every expert kind. */
export const EXPERT_KINDS: readonly ExpertKind[] = ['swiglu', 'relu', 'gelu', 'gelu-tanh', 'gpt-oss'];

/** The classic two-matrix FFN kinds: the expert kind names its activation. */
export type FFNActivation = Exclude<ExpertKind, 'swiglu' | 'gpt-oss'>;

/** The classic FFN kinds, in order. */
export const FFN_ACTIVATIONS: readonly FFNActivation[] = ['relu', 'gelu', 'gelu-tanh'];
