import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { inspectOnnx } from '../../../models/onnx/read.js';

/**
 * The MLflow `MLmodel` file for an ONNX model logged under `model/`, so MLflow tooling
 * (`mlflow.onnx.load_model`, `mlflow.pyfunc.load_model`, the MLflow UI) recognises the artifact.
 */
export function mlmodelYaml(runId: string, onnx: Uint8Array): string {
  const info = inspectOnnx(onnx);
  const spec = (vs: typeof info.inputs) =>
    JSON.stringify(
      vs.map((v) => ({
        type: 'tensor',
        name: v.name,
        'tensor-spec': {
          dtype: v.elemType === 'float' ? 'float32' : v.elemType,
          shape: v.shape?.map((d) => (typeof d === 'number' ? d : -1)) ?? null,
        },
      })),
    );
  return stringify({
    artifact_path: 'model',
    flavors: {
      onnx: {
        code: null,
        data: 'model.onnx',
        onnx_version: `ir${info.irVersion}`,
        providers: ['CPUExecutionProvider'],
      },
      python_function: {
        loader_module: 'mlflow.onnx',
        data: 'model.onnx',
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
      },
    },
    model_uuid: randomUUID().replaceAll('-', ''),
    run_id: runId,
    signature: { inputs: spec(info.inputs), outputs: spec(info.outputs.filter((o) => o.kind === 'tensor')) },
    utc_time_created: new Date().toISOString().replace('T', ' ').replace('Z', ''),
  });
}
