export { Module, ModuleList, StateDictError, type StateDict, type LoadReport } from './module';
export { Linear, Embedding, LayerNorm, Dropout } from './layers';
