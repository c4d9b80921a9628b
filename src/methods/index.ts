// Unlearning methods: importing this module registers every built-in method.
import './deepcut';
import './contrastive-unlearning';
import './retrain';
import './finetune';
import './gradient-ascent';
import './neggrad-plus';
import './random-label';
import './scrub';
import './npo';
import './simnpo';
import './bad-teacher';
import './salun';
import './l1-sparse';
import './sisa';

export { getMethod, listMethods, registerMethod } from './registry';
export { LOOP_HYPERPARAMETERS, defaultHyperparameters, hyperparameterSpec, parseHyperparameter, resolveHyperparameters } from './hyperparameters';
export { runLossMethod, stopForgetSample } from './loop';
export type { LoopData, LoopOptions, LoopResult, LossPoint, RewindState } from './loop';
export { STOP_RULES, STOP_RULE_HELP, TARGET_RULES, POPULATION_RULES, checkStop, isTargetRule } from './stopping';
export type { StopCheck, StopRule, StopTarget, TargetRule } from './stopping';
export { contrastiveUnlearningLoss, supconForgetLoss, distillationKl } from './contrastive';
export type * from './types';
