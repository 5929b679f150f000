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
 *
 * (*) not part of that model; the name is this library's extension. A router bias is `<router>.bias`.
 * Hugging Face transformers v5 fuses the experts of several models into 3-D tensors when loading
 * (e.g. `experts.gate_up_proj`); the names here are those of the published checkpoint files.
 */
import type { ResolvedMoEConfig } from './config.js';

/** Names of one SwiGLU or FFN block's matrices. */
export interface ExpertNames {
  /** SwiGLU gate projection (w1 / gate_proj) or FFN input projection (wi). */
  gate: string;
  /** SwiGLU up projection (w3 / up_proj); absent for the classic FFN. */
  up?: string;
  /** Down / output projection (w2 / down_proj / wo). */
  down: string;
}

/** Every parameter name of a layer. */
export interface MoEParameterNames {
  routerWeight: string;
  routerBias: string;
  scoreCorrectionBias: string;
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
  }
}
