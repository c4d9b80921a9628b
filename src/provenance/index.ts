// Provenance, lineage and the deletion ledger of model folders (docs/provenance.md).
export * from './hash';
export * from './info';
export * from './casing';
export * from './ledger';
export * from './lineage';
export * from './record';
export * from './verify';
