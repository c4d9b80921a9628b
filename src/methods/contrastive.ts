// Contrastive forgetting losses over L2-normalised features. Anchors are forget samples;
// candidates are retain samples. "Positives" (pulled) are candidates of another class,
// "negatives" (pushed) candidates of the anchor's own class: the reverse of supervised
// contrastive learning, which is what makes it forget.
import { F, type Tensor } from '../engine';

interface Pairs {
  /** s_ij = u_i·r_j / tau, [A, C]. */
  sim: Tensor;
  /** bool [A, C]: candidate j has the anchor's class. */
  same: Tensor;
  /** float [A, C]: 1 where candidate j has another class. */
  other: Tensor;
  /** float [A]: |P(i)| (other-class candidates). */
  positives: Tensor;
}

function pairs(anchors: Tensor, anchorLabels: Tensor, candidates: Tensor, candidateLabels: Tensor, temperature: number): Pairs {
  const sim = F.normalize(anchors, 1).matmul(F.normalize(candidates, 1).transpose(0, 1)).div(temperature);
  const same = anchorLabels.unsqueeze(1).eq(candidateLabels.unsqueeze(0));
  const other = same.logicalNot().float();
  return { sim, same, other, positives: other.sum(1) };
}

/** Mean of per-anchor losses over the anchors where `valid` is 1 (0 when none is). */
function meanOver(perAnchor: Tensor, valid: Tensor): Tensor {
  return perAnchor.mul(valid).sum().div(valid.sum().clamp(1));
}

/**
 * Contrastive Unlearning (Lee et al., arXiv 2401.10458):
 * L_UL = mean_i[ -(1/|P(i)|) Σ_{j∈P(i)} ( s_ij − log Σ_{k∈N(i)} exp(s_ik) ) ].
 * Anchors without a positive or without a negative in the batch are left out of the mean.
 */
export function contrastiveUnlearningLoss(anchors: Tensor, anchorLabels: Tensor, candidates: Tensor, candidateLabels: Tensor, temperature: number): Tensor {
  const { sim, same, other, positives } = pairs(anchors, anchorLabels, candidates, candidateLabels, temperature);
  // log Σ over same-class candidates only: mask the others with a large negative (not -inf, whose
  // gradient would be NaN for anchors without negatives; those are excluded by `valid` anyway).
  const logNegatives = sim.maskedFill(same.logicalNot(), -1e9).logsumexp(1);
  const perAnchor = sim.sub(logNegatives.unsqueeze(1)).mul(other).sum(1).neg().div(positives.clamp(1));
  const valid = positives.gt(0).logicalAnd(same.float().sum(1).gt(0)).float();
  return meanOver(perAnchor, valid);
}

/**
 * DeepCUT's forgetting loss, in the supervised-contrastive (SupCon) form:
 * L_f = mean_i[ -(1/|P(i)|) Σ_{j∈P(i)} log( exp(s_ij) / Σ_{k∈P(i)∪N(i)} exp(s_ik) ) ].
 * Unlike L_UL the denominator holds every candidate, so the loss is bounded below (by
 * log|P(i)| when the anchor has moved among the other class) and stops pushing once the forget
 * sample sits with the other class, instead of pushing the representation without end.
 * Anchors without a positive are left out.
 */
export function supconForgetLoss(anchors: Tensor, anchorLabels: Tensor, candidates: Tensor, candidateLabels: Tensor, temperature: number): Tensor {
  const { sim, other, positives } = pairs(anchors, anchorLabels, candidates, candidateLabels, temperature);
  const logProb = sim.sub(sim.logsumexp(1, true));
  const perAnchor = logProb.mul(other).sum(1).neg().div(positives.clamp(1));
  return meanOver(perAnchor, positives.gt(0).float());
}

/** KL(teacher ‖ student) of temperature-softened predictions, mean over the batch (SCRUB's distance). */
export function distillationKl(studentLogits: Tensor, teacherLogits: Tensor, temperature: number): Tensor {
  const teacherLog = teacherLogits.div(temperature).logSoftmax(1);
  const studentLog = studentLogits.div(temperature).logSoftmax(1);
  return teacherLog.exp().mul(teacherLog.sub(studentLog)).sum(1).mean();
}
