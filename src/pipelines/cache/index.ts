/** The step cache's building blocks: workspace hashing with a state cache, blob moves, step keys. */
export { collectOutputs, materialise, type UploadResult, uploadManifest } from './blobs.js';
export { type HashWorkspaceOptions, hashWorkspace, type WorkspaceHash } from './hash.js';
export { manifestCovers, stepInputs } from './inputs.js';
export {
  type BuiltinDefinition,
  type CommandDefinition,
  canonicalJson,
  type StepCacheKeyInput,
  stepCacheKey,
  stepDefinition,
} from './key.js';
export { type DirDigest, dirDigest, type Manifest, type ManifestEntry, sortManifest } from './manifest.js';
export { type FileState, StateDb } from './state.js';
