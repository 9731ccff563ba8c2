import type { OnnxValue } from '../models/onnx/read.js';

export type { OnnxValue } from '../models/onnx/read.js';

/** A registered model: a name under which numbered versions are kept. Times are epoch ms. */
export interface RegisteredModel {
  name: string;
  description: string;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
  tags: Record<string, string>;
  /** alias → version number. */
  aliases: Record<string, number>;
  /** Highest existing version number, null when the model has none. */
  latestVersion: number | null;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

/** The current review decision of a version (`pending` until someone reviews it). */
export interface Approval {
  status: ApprovalStatus;
  actor: string | null;
  reason: string | null;
  time: number | null;
}

/** What the ONNX file says about itself: its typed inputs/outputs, versions and operators. */
export interface ModelSignature {
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  irVersion: number;
  /** Sorted `domain::op_type`. */
  operators: string[];
  metadata: Record<string, string>;
}

/** One model input feature, with the range or categories seen in the training data. */
export interface FeatureSchemaEntry {
  name: string;
  /** Column type of the training data (integer, float, boolean, categorical, …). */
  type: string;
  nullable?: boolean;
  min?: number;
  max?: number;
  categories?: string[];
}

/** A dataset version a model version was trained or evaluated on (lineage). */
export interface ModelDataset {
  /** `name@version`. */
  ref: string;
  name: string;
  version: number;
  versionId: string;
}

export interface ModelVersion {
  name: string;
  /** Numbered from 1 per model, never reused. */
  version: number;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
  description: string;
  source: string;
  runId: string | null;
  runLink: string;
  status: 'READY';
  /** MLflow's deprecated stage: None, Staging, Production or Archived. */
  stage: string;
  /** The ONNX blob; null only for MLflow-registered versions whose source holds no model.onnx. */
  onnx: { sha256: string; size: number } | null;
  signature: ModelSignature | null;
  featureSchema: FeatureSchemaEntry[] | null;
  datasets: ModelDataset[];
  metrics: Record<string, number>;
  params: Record<string, string>;
  approval: Approval;
  aliases: string[];
  tags: Record<string, string>;
}

/** An evaluation result recorded against a version. */
export interface Evaluation {
  evalId: string;
  name: string;
  version: number;
  datasetRef: string | null;
  datasetVersionId: string | null;
  createdAt: number;
  createdBy: string;
  result: unknown;
}

/** One entry of a version's review history. */
export interface ApprovalRecord {
  status: 'approved' | 'rejected';
  actor: string;
  reason: string;
  time: number;
}

/** Where a version came from and where it went: datasets → run → version → aliases, deployments. */
export interface ModelLineage {
  datasets: { ref: string; name: string; version: number; contentHash: string; rows: number }[];
  run: {
    runId: string;
    runName: string;
    experimentId: string;
    experimentName: string;
    params: Record<string, string>;
    gitCommit: string | null;
    sourceName: string | null;
    startTime: number;
  } | null;
  version: {
    name: string;
    version: number;
    approval: Approval;
    onnx: { sha256: string; size: number } | null;
  };
  aliases: string[];
  /** Deployments routing traffic to the version, by name, with their routes (`primary`, `canary`, `variant:<name>`, `shadow`). */
  deployments: { name: string; routes: string[] }[];
}
