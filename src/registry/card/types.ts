/**
 * Everything a model card shows, gathered by the caller from the registry, the dataset versions
 * and the tracking store. Plain data: rendering does no I/O. Times are epoch ms.
 */
import type { EvalResult } from '../../models/eval/index.js';
import type { DatasetProfile } from '../../stats/types.js';

/** One input or output of the ONNX graph. */
export interface CardTensor {
  name: string;
  type: string;
  shape: (number | string | null)[] | null;
}

export interface ModelCardData {
  model: { name: string; description: string; tags: Record<string, string> };
  version: {
    version: number;
    description: string;
    createdAt: number;
    createdBy: string;
    onnxSha256: string | null;
    aliases: string[];
    approval: { status: string; actor: string | null; reason: string | null; time: number | null };
    tags: Record<string, string>;
  };
  /** What the model is for and not for; null renders a prominent "not stated". */
  intendedUse: string | null;
  signature: { inputs: CardTensor[]; outputs: CardTensor[] } | null;
  featureSchema: { name: string; type: string; min?: number; max?: number; categories?: string[] }[] | null;
  training: {
    trainer: string | null;
    task: string | null;
    target: string | null;
    params: Record<string, string>;
    metrics: Record<string, number>;
  };
  /** Training datasets, with their stored profile when there is one. */
  datasets: { ref: string; rows: number; contentHash: string; profile: DatasetProfile | null }[];
  evaluations: { datasetRef: string | null; createdAt: number; result: EvalResult }[];
  lineage: {
    runId: string | null;
    runName: string | null;
    experiment: string | null;
    gitCommit: string | null;
    datasets: string[];
    /** Deployments routing to the version when the card was made, with their routes. */
    deployments?: { name: string; routes: string[] }[];
  };
  /** Review history, any order (shown oldest first). */
  approvals: { status: string; actor: string; reason: string | null; time: number }[];
}
