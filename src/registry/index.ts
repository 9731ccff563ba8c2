/** The model registry: models, versions, aliases, approvals, evaluations, refs and lineage. */
export * from './aliases.js';
export * from './approvals.js';
export * from './evaluations.js';
export * from './lineage.js';
export * from './models.js';
export * from './resolve.js';
export * from './types.js';
export * from './versions.js';
