/**
 * Parameter names of an MoE layer, as in the Hugging Face state dicts of the models they follow
 * (the prefix `model.layers.{l}.block_sparse_moe.` / `model.layers.{l}.mlp.` is left out), so a
 * state dict written by moe-oracle loads into the PyTorch module by name.
 *
 *   scheme       router                         routed expert i                          shared expert                         shared gate
 *   'mixtral'    gate.weight                    experts.{i}.w1/w2/w3.weight              shared_experts.w1/w2/w3.weight (*)    shared_expert_gate.weight (*)
 *   'deepseek'   gate.weight                    experts.{i}.gate_proj/up_proj/down_proj  shared_experts.gate_proj/...          shared_expert_gate.weight (*)
 *                gate.e_score_correction_bias
 *   'qwen2-moe'  gate.weight                    experts.{i}.gate_proj/up_proj/down_proj  shared_expert.gate_proj/...           shared_expert_gate.weight
 *   'switch'     router.classifier.weight       experts.expert_{i}.wi/wo.weight          (none in Switch)
 *   'gpt-oss'    router.weight, router.bias     experts.gate_up_proj [E, H, 2I] (gate/up columns interleaved),
 *                                               experts.gate_up_proj_bias [E, 2I], experts.down_proj [E, I, H],
 *                                               experts.down_proj_bias [E, H]             (none in gpt-oss)
 *   'llama4'     router.weight                  experts.gate_up_proj [E, H, 2I] (gate half, then up half),
 *                                               experts.down_proj [E, I, H]               shared_expert.gate_proj/up_proj/down_proj.weight
 *
 * gpt-oss (Hugging Face GptOssMLP: `mlp.router`, `mlp.experts`) and Llama 4 (Llama4TextMoe:
 * `feed_forward.router`, `feed_forward.experts`, `feed_forward.shared_expert`) store their experts fused
 * as 3-D tensors in x·W layout ([in, out]); the layer slices expert i out of them (experts/gpt-oss.ts
 * `splitFusedExpert`). Noisy top-k's noise projection is `<router>.w_noise` [N, H] (router/noise.ts).
 *
 * (*) not part of that model; the name is this library's extension. A router bias is `<router>.bias`.
 * Hugging Face transformers v5 fuses the experts of several models into 3-D tensors when loading
 * (e.g. `experts.gate_up_proj`); the names here are those of the published checkpoint files.
 */
import { checkObject, checkOneOf } from '../tensor/errors.js';
import { NAMING_SCHEMES, type ResolvedMoEConfig } from './config.js';

/** Names of one SwiGLU or FFN block's matrices. */
export interface ExpertNames {
  /** SwiGLU gate projection (w1 / gate_proj) or FFN input projection (wi). */
  gate: string;
  /** SwiGLU up projection (w3 / up_proj); absent for the classic FFN. */
  up?: string;
  /** Down / output projection (w2 / down_proj / wo). */
  down: string;
  /** Fused checkpoints ('gpt-oss', 'llama4'): expert `index` lives in these 3-D tensors. */
  fused?: FusedExpertNames;
}

/** Where one expert lives in fused 3-D expert tensors. */
export interface FusedExpertNames {
  index: number;
  /** [E, H, 2I] gate and up projections, x·W layout. */
  gateUp: string;
  /** 'interleaved' (gpt-oss: gate = even columns) or 'halves' (Llama 4: gate = first I columns). */
  layout: 'interleaved' | 'halves';
  /** [E, I, H] down projection. */
  down: string;
  /** [E, 2I] (gpt-oss). */
  gateUpBias?: string;
  /** [E, H] (gpt-oss). */
  downBias?: string;
}

/** Every parameter name of a layer. */
export interface MoEParameterNames {
  routerWeight: string;
  routerBias: string;
  scoreCorrectionBias: string;
  /** Noisy top-k's noise projection [N, H]. */
  routerNoiseWeight: string;
  expert: (index: number) => ExpertNames;
  sharedExpert: ExpertNames;
  sharedExpertGate: string;
}

function swiGLUNames(prefix: string, style: 'w123' | 'proj'): ExpertNames {
  return style === 'w123'
    ? { gate: `${prefix}.w1.weight`, up: `${prefix}.w3.weight`, down: `${prefix}.w2.weight` }
    : { gate: `${prefix}.gate_proj.weight`, up: `${prefix}.up_proj.weight`, down: `${prefix}.down_proj.weight` };
}

/** The names a config's parameters go by. */
export function moeParameterNames(config: Pick<ResolvedMoEConfig, 'naming'>): MoEParameterNames {
  checkObject('config', config, 'a layer config (resolveMoEConfig) with a naming scheme');
  checkOneOf('config.naming', config.naming, NAMING_SCHEMES);
  const names = namesOfScheme(config);
  return { ...names, routerNoiseWeight: names.routerWeight.replace(/weight$/, 'w_noise') };
}

function fusedNames(i: number, layout: 'interleaved' | 'halves'): ExpertNames {
  const fused: FusedExpertNames = { index: i, gateUp: 'experts.gate_up_proj', layout, down: 'experts.down_proj' };
  if (layout === 'interleaved') Object.assign(fused, { gateUpBias: 'experts.gate_up_proj_bias', downBias: 'experts.down_proj_bias' });
  return { gate: `experts.gate_up_proj[${i}] (gate)`, up: `experts.gate_up_proj[${i}] (up)`, down: `experts.down_proj[${i}]`, fused };
}

function namesOfScheme(config: Pick<ResolvedMoEConfig, 'naming'>): Omit<MoEParameterNames, 'routerNoiseWeight'> {
  switch (config.naming) {
    case 'mixtral':
      return {
        routerWeight: 'gate.weight',
        routerBias: 'gate.bias',
        scoreCorrectionBias: 'gate.e_score_correction_bias',
        expert: (i) => swiGLUNames(`experts.${i}`, 'w123'),
        sharedExpert: swiGLUNames('shared_experts', 'w123'),
        sharedExpertGate: 'shared_expert_gate.weight',
      };
    case 'deepseek':
    case 'qwen2-moe':
      return {
        routerWeight: 'gate.weight',
        routerBias: 'gate.bias',
        scoreCorrectionBias: 'gate.e_score_correction_bias',
        expert: (i) => swiGLUNames(`experts.${i}`, 'proj'),
        sharedExpert: swiGLUNames(config.naming === 'deepseek' ? 'shared_experts' : 'shared_expert', 'proj'),
        sharedExpertGate: 'shared_expert_gate.weight',
      };
    case 'switch':
      return {
        routerWeight: 'router.classifier.weight',
        routerBias: 'router.classifier.bias',
        scoreCorrectionBias: 'router.e_score_correction_bias',
        expert: (i) => ({ gate: `experts.expert_${i}.wi.weight`, down: `experts.expert_${i}.wo.weight` }),
        sharedExpert: { gate: 'shared_expert.wi.weight', down: 'shared_expert.wo.weight' },
        sharedExpertGate: 'shared_expert_gate.weight',
      };
    case 'gpt-oss':
    case 'llama4':
      return {
        routerWeight: 'router.weight',
        routerBias: 'router.bias',
        scoreCorrectionBias: 'router.e_score_correction_bias',
        expert: (i) => fusedNames(i, config.naming === 'gpt-oss' ? 'interleaved' : 'halves'),
        sharedExpert: swiGLUNames('shared_expert', 'proj'),
        sharedExpertGate: 'shared_expert_gate.weight',
      };
  }
}
