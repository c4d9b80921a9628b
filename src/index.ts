// deepcut's public API.
export * from './engine';
export * from './nn';
export { readSafetensors, loadSafetensors, saveSafetensors, SafetensorsError } from './io/safetensors';
export { writeFileAtomic } from './io/atomic';
