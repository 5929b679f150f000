// config.json files of published models that the presets do not hold (the presets, src/params/presets.ts,
// hold Mixtral, DeepSeek, Qwen, DBRX and OLMoE): the keys of the released files, as published on the
// Hugging Face hub.

/**
 * After https://huggingface.co/openai/gpt-oss-20b/blob/main/config.json (quantization_config and layer_types
 * shortened). Transcribed without network access to the hub; the MoE, attention and RoPE values were
 * checked against public code that pins them (vLLM-based loaders asserting hidden 2880, 24 layers, 32
 * experts, k 4, swiglu_limit 7.0; test fixtures copying its yarn rope_scaling and head counts).
 */
export const GPT_OSS_20B = {
  architectures: ['GptOssForCausalLM'],
  attention_bias: true,
  attention_dropout: 0.0,
  eos_token_id: 200002,
  experts_per_token: 4,
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2880,
  initial_context_length: 4096,
  initializer_range: 0.02,
  intermediate_size: 2880,
  layer_types: ['sliding_attention', 'full_attention'],
  max_position_embeddings: 131072,
  model_type: 'gpt_oss',
  num_attention_heads: 64,
  num_experts_per_tok: 4,
  num_hidden_layers: 24,
  num_key_value_heads: 8,
  num_local_experts: 32,
  output_router_logits: false,
  pad_token_id: 199999,
  quantization_config: { quant_method: 'mxfp4' },
  rms_norm_eps: 1e-5,
  rope_scaling: { beta_fast: 32.0, beta_slow: 1.0, factor: 32.0, original_max_position_embeddings: 4096, rope_type: 'yarn', truncate: false },
  rope_theta: 150000,
  router_aux_loss_coef: 0.9,
  sliding_window: 128,
  swiglu_limit: 7.0,
  tie_word_embeddings: false,
  use_cache: true,
  vocab_size: 201088,
};

/**
 * After https://huggingface.co/google/switch-base-8/blob/main/config.json, transcribed without network
 * access to the hub (d_model 768, d_ff 3072, 8 experts, expert_capacity 64 as in transformers'
 * SwitchTransformersConfig docs and tests; tie_word_embeddings left out as uncertain).
 */
export const SWITCH_BASE_8 = {
  add_router_probs: false,
  architectures: ['SwitchTransformersForConditionalGeneration'],
  batch_prioritized_routing: false,
  d_ff: 3072,
  d_kv: 64,
  d_model: 768,
  decoder_sparse_step: 2,
  decoder_start_token_id: 0,
  dense_act_fn: 'relu',
  dropout_rate: 0.1,
  encoder_sparse_step: 2,
  eos_token_id: 1,
  expert_capacity: 64,
  feed_forward_proj: 'relu',
  initializer_factor: 1.0,
  is_encoder_decoder: true,
  is_gated_act: false,
  layer_norm_epsilon: 1e-6,
  model_type: 'switch_transformers',
  num_decoder_layers: 12,
  num_experts: 8,
  num_heads: 12,
  num_layers: 12,
  num_sparse_decoder_layers: 6,
  num_sparse_encoder_layers: 6,
  pad_token_id: 0,
  relative_attention_max_distance: 128,
  relative_attention_num_buckets: 32,
  router_aux_loss_coef: 0.001,
  router_bias: false,
  router_dtype: 'float32',
  router_ignore_padding_tokens: false,
  router_jitter_noise: 0.01,
  router_type: 'tokens_masked',
  router_z_loss_coef: 0.001,
  use_cache: true,
  vocab_size: 32128,
};

/**
 * After https://huggingface.co/meta-llama/Llama-4-Scout-17B-16E/blob/main/config.json (vision_config and
 * the text model's attention-tuning keys left out), transcribed without network access to the hub; the
 * values are those of transformers' Llama4TextConfig defaults (which follow Scout: hidden 5120, expert
 * 8192, dense MLP 16384, 48 layers, 40 heads, 8 key/value heads, head_dim 128, 16 experts, top-1) and of
 * public launch scripts that pin them.
 */
export const LLAMA_4_SCOUT = {
  architectures: ['Llama4ForConditionalGeneration'],
  model_type: 'llama4',
  tie_word_embeddings: false,
  text_config: {
    model_type: 'llama4_text',
    attention_bias: false,
    head_dim: 128,
    hidden_act: 'silu',
    hidden_size: 5120,
    interleave_moe_layer_step: 1,
    intermediate_size: 8192,
    intermediate_size_mlp: 16384,
    max_position_embeddings: 10485760,
    num_attention_heads: 40,
    num_experts_per_tok: 1,
    num_hidden_layers: 48,
    num_key_value_heads: 8,
    num_local_experts: 16,
    rope_scaling: { factor: 16.0, high_freq_factor: 1.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
    rope_theta: 500000.0,
    router_jitter_noise: 0.0,
    tie_word_embeddings: false,
    use_qk_norm: true,
    vocab_size: 202048,
  },
};
