// Grids on a job queue (BullMQ on Redis): a submitter that queues a plan's units as flows and
// writes the results when they have ended, and workers that run them on any machine sharing the
// output folder.
export { DEFAULT_CONNECT_TIMEOUT_MS, QueueConnectionError, probeRedis, redisOptions } from './connection';
export {
  GRIDS_KEY, configHash, deepcutVersion, flowParents, gridKey, gridMeta, gridMismatch, gridQueueName, jobIdOf, readGridConfig, unitFlows,
  type GridMeta, type UnitJobData, type UnitJobResult,
} from './grid';
export { submitExperiment, type SubmitOptions } from './submit';
export { GridRefusedError, WORKER_DEFAULTS, runGridWorker, type GridWorkerOptions } from './worker';
