/**
 * Reading a ReportInput from JSON (a file written by a run, or a test fixture). JSON has no NaN,
 * so a metric written as null (JSON.stringify's rendering of NaN) is read back as NaN.
 */
import { z } from 'zod';
import type { ReportInput } from './types';

const metricValue = z.union([z.number(), z.null()]).transform((value) => value ?? NaN);
const metricMap = z.record(z.string(), metricValue);

const latentPoint = z.object({ x: metricValue, y: metricValue, label: z.string(), isForget: z.boolean() });

const reportInputSchema = z.object({
  title: z.string(),
  dataset: z.string(),
  forget: z.object({ spec: z.string(), count: z.number().int().nonnegative(), hash: z.string() }),
  createdAt: z.string(),
  models: z.array(
    z.object({
      name: z.string(),
      metrics: metricMap,
      latent: z.object({ points: z.array(latentPoint), axisLabels: z.tuple([z.string(), z.string()]).optional() }).optional(),
    }),
  ),
  referenceModel: z.string().optional(),
  methods: z.record(z.string(), metricMap).optional(),
  lossCurves: z.record(z.string(), z.array(z.object({ step: z.number(), values: metricMap }))).optional(),
  stoppingTimelines: z.record(z.string(), z.object({
    rule: z.string(),
    checks: z.array(z.object({ step: z.number(), forgetAccuracy: metricValue, heldoutAccuracy: metricValue.optional(), fine: z.boolean().optional() })),
    target: z.object({ accuracy: metricValue, source: z.string() }).optional(),
    chosenStep: z.number().optional(),
    retrainForgetAccuracy: metricValue.optional(),
    testAccuracy: z.object({ before: metricValue, after: metricValue }).optional(),
  })).optional(),
  notes: z.array(z.string()).optional(),
});

/** Validate parsed JSON as a ReportInput; throws an Error naming the offending paths. */
export function parseReportInput(json: unknown): ReportInput {
  const result = reportInputSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`invalid report input:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
