/**
 * Golden cases of the balancing losses: every load-balancing variant at uniform routing (zero logits,
 * each expert chosen equally often), collapsed routing (all probability on expert 0, chosen first by
 * every token) and random routing (logits ~ N(0, 2²), chosen by top-k of the softmax), plus the masked
 * HF Mixtral loss with padding, z-loss, importance (CV²) and the expert-bias update.
 * T = 16 tokens, N = 8 experts, k = 2; groups / sequences / devices as named in each case.
 */
import { topK } from '../../router/topk.js';
import { randomNormal, randomUniform } from '../../tensor/prng.js';
import { intTensor, tensor, type IntTensor, type Tensor } from '../../tensor/tensor.js';
import type { GoldenCase } from '../case.js';

const T = 16;
const N = 8;
const K = 2;

type Routing = 'uniform' | 'collapsed' | 'random';

function routingInputs(routing: Routing, seed: number): { logits: Tensor; topk_indices: IntTensor } {
  if (routing === 'uniform') {
    return { logits: tensor(new Float32Array(T * N), [T, N]), topk_indices: intTensor(Array.from({ length: T * K }, (_, i) => (Math.floor(i / K) + (i % K)) % N), [T, K]) };
  }
  if (routing === 'collapsed') {
    const logits = new Float32Array(T * N).fill(-40);
    for (let t = 0; t < T; t++) logits[t * N] = 40;
    return { logits: tensor(logits, [T, N]), topk_indices: intTensor(Array.from({ length: T * K }, (_, i) => i % K), [T, K]) };
  }
  const logits = randomNormal([T, N], { seed, name: 'inputs.logits', std: 2 });
  return { logits, topk_indices: topK(logits, K).indices };
}

const VARIANTS: { variant: string; options: Record<string, unknown>; about: string }[] = [
  { variant: 'hf-mixtral', options: {}, about: 'HF load_balancing_loss_func (Mixtral family): k at uniform routing' },
  { variant: 'switch', options: { groups: 2 }, about: 'HF Switch / flaxformer E²·mean(f·P) over 2 groups of 8 tokens' },
  { variant: 'megatron', options: {}, about: 'Megatron switch_load_balancing_loss_func, softmax scores: 1 at uniform routing' },
  { variant: 'megatron', options: { scoring: 'sigmoid' }, about: 'Megatron aux loss with sigmoid scores renormalised over all experts' },
  { variant: 'megatron-seq', options: { batchSize: 2 }, about: 'Megatron seq_aux_loss, 2 sequences in [S, B] token order' },
  { variant: 'megatron-global', options: { globalNumTokens: 64 }, about: 'Megatron global_aux_loss with global counts over 64 tokens' },
  { variant: 'deepspeed', options: {}, about: 'DeepSpeed top1/top2gating l_aux: first choices only' },
  { variant: 'gshard', options: { groups: 2 }, about: 'GShard/lingvo top-1 form per group of 8 tokens' },
  { variant: 'deepseek-v3-seq', options: { batchSize: 2, coefficient: 1e-4 }, about: 'DeepSeek-V3 sequence-wise balance loss, α = 1e-4' },
  { variant: 'deepseek-v2-expert', options: { coefficient: 0.003 }, about: 'DeepSeek-V2 expert-level balance loss, α₁ = 0.003' },
  { variant: 'deepseek-v2-device', options: { numDevices: 4, coefficient: 0.05 }, about: 'DeepSeek-V2 device-level balance loss, 4 devices, α₂ = 0.05' },
  { variant: 'deepseek-v2-comm', options: { numDevices: 4, maxDevicesPerToken: 2, coefficient: 0.02 }, about: 'DeepSeek-V2 communication balance loss, 4 devices, M = 2, α₃ = 0.02' },
];

function lossCase(name: string, description: string, config: Record<string, unknown>, seed: number, make: () => Record<string, Tensor | IntTensor>): GoldenCase {
  return { name: `losses/${name}`, component: 'losses', description, config, seed, make: () => ({ inputs: make(), params: {} }) };
}

const balanceCases: GoldenCase[] = VARIANTS.flatMap(({ variant, options, about }, i) =>
  (['uniform', 'collapsed', 'random'] as const).map((routing) => {
    const suffix = options.scoring === 'sigmoid' ? '-sigmoid' : '';
    const seed = 300 + i;
    return lossCase(`${variant}${suffix}-${routing}`, `${about}; ${routing} routing.`, { loss: 'load-balancing', options: { variant, ...options } }, seed, () => {
      const inputs: Record<string, Tensor | IntTensor> = routingInputs(routing, seed);
      if (variant === 'megatron-global') inputs.global_tokens_per_expert = tensor(Array.from(randomUniform([N], { seed, name: 'inputs.global_tokens_per_expert', low: 4, high: 28 }).data, Math.round), [N]);
      return inputs;
    });
  }),
);

export const lossCases: GoldenCase[] = [
  ...balanceCases,
  lossCase('hf-mixtral-masked', 'HF Mixtral loss over 2 layers of a [2, 4] batch with padding (attention_mask zeros are left out).', { loss: 'load-balancing', options: { variant: 'hf-mixtral' } }, 340, () => ({
    ...routingInputs('random', 340),
    attention_mask: intTensor([1, 1, 1, 0, 1, 1, 0, 0], [2, 4]),
  })),
  lossCase('z-loss-zero-logits', 'Router z-loss of zero logits: (log 8)².', { loss: 'z-loss', options: {} }, 341, () => ({ logits: routingInputs('uniform', 341).logits })),
  lossCase('z-loss-random', 'Router z-loss (ST-MoE) of random logits, α = 1e-3.', { loss: 'z-loss', options: { coefficient: 1e-3 } }, 342, () => ({ logits: routingInputs('random', 342).logits })),
  lossCase('z-loss-masked', "Router z-loss with Megatron's padding mask (5 padded tokens).", { loss: 'z-loss', options: {} }, 343, () => ({
    logits: routingInputs('random', 343).logits,
    token_mask: intTensor(Array.from({ length: T }, (_, t) => (t % 3 === 2 ? 0 : 1)), [T]),
  })),
  ...(['vmoe', 'tutel', 'shazeer'] as const).map((source, i) =>
    lossCase(`importance-${source}-random`, `Importance loss (CV² of per-expert importance), ${source} form, random logits.`, { loss: 'importance', options: { source } }, 344 + i, () => {
      const inputs = routingInputs('random', 344 + i);
      return source === 'shazeer' ? inputs : { logits: inputs.logits };
    }),
  ),
  lossCase('importance-vmoe-uniform', 'Importance loss of zero logits: 0.', { loss: 'importance', options: { source: 'vmoe' } }, 347, () => ({ logits: routingInputs('uniform', 347).logits })),
  lossCase('expert-bias-update', 'Aux-loss-free bias update b + γ·sign(mean(c) − c), γ = 1e-3 (Megatron default).', { loss: 'expert-bias-update', options: { updateRate: 1e-3 } }, 348, () => ({
    expert_bias: randomNormal([N], { seed: 348, name: 'inputs.expert_bias', std: 0.01 }),
    tokens_per_expert: intTensor([4, 2, 7, 4, 1, 4, 6, 4], [N]),
  })),
];
