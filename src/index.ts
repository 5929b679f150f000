/**
 * moe-oracle: a readable float32 reference implementation and test oracle for Mixture-of-Experts layers.
 * Everything public is exported from here; each folder is one layer of the architecture.
 */
export * from './tensor/index.js';
export * from './router/index.js';
export * from './experts/index.js';
export * from './moe/index.js';
export * from './golden/index.js';
export * from './params/index.js';

// losses
export {
  loadBalancingLoss, loadBalancingLossOfScores, LOAD_BALANCING_VARIANTS, routerZLoss, importanceLoss, IMPORTANCE_SOURCES,
  updateExpertBias, tokensPerExpertOf, LOSS_SCORINGS, routerBackward, routerLinearBackward, routerWeightsFromLogits, softmaxBackwardValues,
} from './losses/index.js';
export type { LoadBalancingOptions, LoadBalancingVariant, ZLossOptions, ImportanceOptions, ImportanceSource, LossResult, LossScoring } from './losses/index.js';
