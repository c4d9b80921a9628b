export { estimateTarget, type TargetContext } from './estimate';
export { classMatched, classMatchedTarget, ratesByClass, type ClassRates } from './class-matched';
export { referencesTarget } from './references';
export { partitionBySubject, subjectOf, type Partition } from './partition';
export { REFERENCES_FILE, loadReferencesFor, readReferencesManifest, type ReferencesManifest, type ReferencePartition } from './manifest';
export { trainReferences, type ReferencesJob } from './train-references';
export { UNSEEN_SCORES_FORMAT, readUnseenScores, unseenScoresFile, writeUnseenScores, type UnseenScores } from './unseen-scores';
