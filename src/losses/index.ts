export { loadBalancingLoss, loadBalancingLossOfScores, LOAD_BALANCING_VARIANTS, type LoadBalancingOptions, type LoadBalancingVariant } from './load-balancing.js';
export { routerZLoss, type ZLossOptions } from './z-loss.js';
export { importanceLoss, IMPORTANCE_SOURCES, type ImportanceOptions, type ImportanceSource } from './importance.js';
export { updateExpertBias, tokensPerExpertOf } from './bias-update.js';
export { LOSS_SCORINGS, type LossResult, type LossScoring } from './scores.js';
export { routerBackward, routerLinearBackward, routerWeightsFromLogits, softmaxBackwardValues } from '../router/backward.js';
export { noisyTopKLoadLoss, NOISY_LOAD_SOURCES, type NoisyTopKLoadOptions, type NoisyTopKLoadResult, type NoisyLoadSource } from './load.js';
