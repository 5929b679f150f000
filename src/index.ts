/**
 * moe-oracle: a readable float32 reference implementation and test oracle for Mixture-of-Experts layers.
 *
 * The public API, listed by name and grouped by folder (as tfjs-core's `ops/ops.ts` lists its ops);
 * everything not listed here is internal. Each folder is one layer of the architecture (README, "Layout").
 */

// tensor: float32 tensors, shape checks, the one error type, the keyed PRNG, float64 scalar math
export { MoEOracleError } from './tensor/errors.js';
export type { Tensor, IntTensor } from './tensor/tensor.js';
export { tensor, intTensor, zeros, intZeros, reshape, clone, contiguous, toNested, formatShape, sizeOf, FLOAT32_MAX, MAX_TENSOR_ELEMENTS } from './tensor/tensor.js';
export type { RandomTensorOptions } from './tensor/prng.js';
export { philox4x32, fnv1a32, tensorKey, uniformAt, normalAt, randomUniform, randomNormal } from './tensor/prng.js';
export type { Activation } from './tensor/activations.js';
export { ACTIVATIONS, sigmoidScalar, siluScalar, reluScalar, geluScalar, geluTanhScalar, activationScalar } from './tensor/activations.js';
export { erf, erfc } from './tensor/erf.js';
export { revalidateWeights } from './tensor/validated.js';

// backends: the kernel seam, the cpu reference backend, the checked ops
export type { Kernels, DeviceTensor, ScatterPart } from './backends/kernels.js';
export type { BackendEntry, BackendOption } from './backends/registry.js';
export { BACKENDS, defaultBackend } from './backends/registry.js';
export type { WasmSimdOptions } from './backends/wasm-simd/index.js';
export { createWasmSimdBackend } from './backends/wasm-simd/index.js';
export { cpuBackend } from './backends/cpu/index.js';
export { linear, softmax, logSumExp, activation, sigmoid, silu, relu, gelu, geluTanh, rmsNorm } from './backends/ops.js';

// router: scoring, top-k with its tie rule, weight normalisations
export type { TopKResult } from './router/topk.js';
export { topK } from './router/topk.js';
export type { Scoring, WeightNormalization, RouterConfig, ResolvedRouterConfig, RouterParams, RouterOutput, RouteOptions } from './router/router.js';
export { SCORINGS, WEIGHT_NORMALIZATIONS, ROUTER_PRESETS, resolveRouterConfig, route, routeAsync } from './router/router.js';
// router variants: expert capacity and token dropping, group-limited selection
export type { CapacityFormula, DropPolicy, DroppedTokenOutput, AfterDrop, CapacityConfig, ResolvedCapacityConfig, DroppedSlot, CapacityOutput } from './router/capacity.js';
export { CAPACITY_FORMULAS, DROP_POLICIES, expertCapacity, roundHalfEven, explainDrops } from './router/capacity.js';
export type { GroupLimitedMethod, GroupLimitedConfig, GroupSelection } from './router/group-limited.js';
export { GROUP_LIMITED_METHODS } from './router/group-limited.js';
// router variants: noise (jitter on the router's input, noisy top-k)
export type { NoiseKind, JitterNoiseConfig, NoisyTopKConfig, NoiseConfig, ResolvedNoiseConfig, NoiseOutput } from './router/noise.js';
export { NOISE_KINDS, resolveNoiseConfig, jitterMultipliers, softplus } from './router/noise.js';
// router variants: expert choice (each expert takes its top-c tokens) and Soft MoE's router (dense dispatch and combine weights)
export type { RoutingKind } from './router/router.js';
export type { ExpertChoiceCapacityFormula, ExpertChoiceConfig, ResolvedExpertChoiceConfig, ExpertChoiceOutput } from './router/expert-choice.js';
export { EXPERT_CHOICE_CAPACITY_FORMULAS, resolveExpertChoiceConfig, expertChoiceCapacity } from './router/expert-choice.js';
export type { SoftMoEConfig, ResolvedSoftMoEConfig, SoftMoERouterParams, SoftMoERouting } from './router/soft-moe.js';
export { SOFT_MOE_PARAMETER_NAMES, SOFT_MOE_NORMALIZE_EPSILON, resolveSoftMoEConfig, softMoESlotsPerExpert, softMoERoute, softMoERouteAsync } from './router/soft-moe.js';

// experts: SwiGLU and classic FFN experts, fine-grained segmentation
export type { ExpertKind, FFNActivation } from './experts/kind.js';
export { EXPERT_KINDS } from './experts/kind.js';
export type { SwiGLUParams, GateUpDownParams } from './experts/swiglu.js';
export { swiGLU, fromGateUpDown } from './experts/swiglu.js';
export type { FFNParams } from './experts/ffn.js';
export { ffn } from './experts/ffn.js';
export { splitIntoFineGrainedExperts } from './experts/fine-grained.js';
export type { GptOssExpertParams } from './experts/gpt-oss.js';
export { gptOssExpert, GPT_OSS_ALPHA, GPT_OSS_LIMIT } from './experts/gpt-oss.js';
export { FFN_ACTIVATIONS } from './experts/kind.js';

// moe: the layer, its config, its parameter names and initialisation
export type { MoEConfig, ResolvedMoEConfig, NamingScheme } from './moe/config.js';
export { NAMING_SCHEMES, resolveMoEConfig } from './moe/config.js';
export type { ExpertNames, FusedExpertNames, MoEParameterNames } from './moe/names.js';
export { moeParameterNames } from './moe/names.js';
export type { StateDict, ParameterShape } from './moe/params.js';
export { moeParameterShapes, initMoEParams } from './moe/params.js';
export type { MoEForwardOptions, MoEOutput } from './moe/layer.js';
export { moeForward, moeForwardAsync } from './moe/layer.js';
export type { SoftMoEOutput } from './moe/soft-moe.js';

// hf: the one reader of Hugging Face config.json files (the MoE block, the layer config, attention, the whole model)
export type { HfModelType, HfMoeModelType, HfExpertKind, HfExpertGroups, HfMoeBlock } from './hf/moe-block.js';
export { HF_MODEL_TYPES, HF_MOE_MODEL_TYPES, readHfMoeBlock } from './hf/moe-block.js';
export type { HfLayerOptions, HfLayerFamily } from './hf/layer-config.js';
export { moeConfigFromHuggingFace, moeConfigToHuggingFace, stringifyHfConfig } from './hf/layer-config.js';
export type { HfAttention, HfRope, HfRopeScaling } from './hf/attention.js';
export { readHfAttention } from './hf/attention.js';
export type { ModelDescription } from './hf/model-description.js';
export { readHfModel, PARAMS_MODEL_TYPES } from './hf/model.js';

// golden: the safetensors format, case families, tolerance model, run and verify
export type { SafetensorsDtype, SafetensorsFile } from './golden/safetensors.js';
export { readSafetensors, writeSafetensors, readSafetensorsFile, writeSafetensorsFile } from './golden/safetensors.js';
export type { ComputeDtype, Tolerance } from './golden/tolerance.js';
export { COMPUTE_DTYPES, defaultTolerance, allowedError } from './golden/tolerance.js';
export type { Comparison, TensorComparison, IntTensorComparison } from './golden/compare.js';
export { compareTensors, compareIntTensors, ulpDistance, formatComparison } from './golden/compare.js';
export type { Component, ComponentName, TensorMap } from './golden/components.js';
export { COMPONENTS, getComponent, routingOutputsOf } from './golden/components.js';
export type { GoldenCase } from './golden/case.js';
export { NUMERIC_SEMANTICS_VERSION } from './golden/case.js';
export { GOLDEN_CASES } from './golden/cases/index.js';
export type { IndexEntry, SuiteDifference } from './golden/suite.js';
export { generateSuite, checkSuite } from './golden/suite.js';
export type { VerifyOptions, VerifyReport } from './golden/verify.js';
export { verify } from './golden/verify.js';

// params: parameter, FLOP and memory calculators, presets
export type { CountOptions, ParameterCounts } from './params/count.js';
export { countParameters } from './params/count.js';
export type { ModelCosts, Dtype } from './params/cost.js';
export { modelCosts, DTYPES } from './params/cost.js';
export type { Preset } from './params/presets.js';
export { PRESETS, findPreset } from './params/presets.js';
export type { ParamsReport } from './params/report.js';
export { buildReport, renderReport } from './params/report.js';

// losses
export {
  loadBalancingLoss, loadBalancingLossOfScores, LOAD_BALANCING_VARIANTS, routerZLoss, importanceLoss, IMPORTANCE_SOURCES,
  updateExpertBias, tokensPerExpertOf, LOSS_SCORINGS, routerBackward, routerLinearBackward, routerWeightsFromLogits,
  noisyTopKLoadLoss, NOISY_LOAD_SOURCES,
} from './losses/index.js';
export type { NoisyTopKLoadOptions, NoisyTopKLoadResult, NoisyLoadSource } from './losses/index.js';
export type { LoadBalancingOptions, LoadBalancingVariant, ZLossOptions, ImportanceOptions, ImportanceSource, LossResult, LossScoring } from './losses/index.js';

// attention: MLA (naive and weight-absorbed), MHA / GQA / MQA, KV caches (contiguous and paged), cache arithmetic
export type { RopeLayout, RopeRotation } from './backends/kernels.js';
export type { AttentionKind, AttentionConfig, MLAConfig, StandardAttentionConfig, RopeConfig, YarnScaling, ResolvedAttentionConfig, ResolvedMLAConfig, ResolvedStandardAttentionConfig } from './attention/config.js';
export { ATTENTION_KINDS, ROPE_LAYOUTS, resolveAttentionConfig, resolveMLAConfig, resolveStandardAttentionConfig } from './attention/config.js';
export { inverseFrequencies, ropeAttentionFactor, softmaxScale, yarnMscale } from './attention/rope.js';
export { attentionParameterShapes, initAttentionParams } from './attention/params.js';
export type { MLAForm } from './attention/mla.js';
export { MLA_FORMS } from './attention/mla.js';
export type { AttentionOptions, AttentionOutput } from './attention/attention.js';
export { attention, attentionAsync } from './attention/attention.js';
export type { AttentionCache, ContiguousAttentionCache, PagedAttentionCache, CacheLayout, CachePart } from './attention/cache.js';
export { createAttentionCache, createPagedAttentionCache, cacheLayoutOf, cacheContents, cacheCapacity } from './attention/cache.js';
export type { KVCacheShape, KVCacheSize } from './attention/kv-cache-size.js';
export { kvCacheShapeOf, kvCacheElementsPerTokenPerLayer, kvCacheSize } from './attention/kv-cache-size.js';
export type { KVCacheComparisonRow } from './attention/kv-cache-table.js';
export { deepSeekKVCacheComparison, renderKVCacheComparison } from './attention/kv-cache-table.js';
export { attentionConfigFromHuggingFace } from './attention/hf-config.js';

// backends/gpujs: the gpu.js backend (Node headless-gl, browser WebGL / WebGL2 / WebGPU) and the
// verification of any backend on golden cases
export type { GpuLike } from './backends/gpujs/runtime.js';
export type { GpujsKernels } from './backends/gpujs/backend.js';
export { createGpujsBackend } from './backends/gpujs/backend.js';
export type { CaseEntry, CaseResult, MatrixCell } from './backends/gpujs/verify-cases.js';
export { verifyCaseOn, verifyCasesOn, runCaseOn } from './backends/gpujs/verify-cases.js';
export type { KernelValidation } from './backends/gpujs/validate.js';
export { validateKernels } from './backends/gpujs/validate.js';
