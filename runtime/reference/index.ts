/** The float64 reference executor: the oracle for every kernel and the CPU fallback of last resort. */
export { referenceForward, referenceLoss, referenceLossAndGrads, type ReferenceForwardOptions, type ReferenceForwardResult, type ReferenceLossAndGrads } from './model.js';
export { createReferenceState, referenceForwardRecurrent, referenceStep, type ReferenceState } from './recurrent.js';
export { validateReferenceWeights, type ReferenceWeights } from './weight-store.js';
