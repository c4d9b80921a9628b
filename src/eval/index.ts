/** Verification measures for unlearning: metrics, per-sample statistics, MIA, latent geometry, gaps. */

export * from './classification';
export * from './per-sample';
export * from './auc';
export * from './features';
export * from './logistic';
export * from './mia';
export * from './membership-audit';
export * from './vectors';
export * from './latent';
export * from './pca';
export * from './gap';
export * from './rng';
export { checkLabel } from './labels';
// Pure: scoring a model (scorable.ts, which loads libtorch) is imported by path, not from here.
export * from './evaluate';
