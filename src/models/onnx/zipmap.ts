/**
 * skl2onnx, onnxmltools (XGBoost, LightGBM) and Keel-less exporters end classifiers with ZipMap,
 * whose `seq(map(label, float))` output onnxruntime-node cannot return. This rewrites such a model
 * so each ZipMap's input — the [N, classes] probability tensor — is the graph output instead, and
 * reports the class labels ZipMap carried (the probability columns' order).
 */

import { int64ToNumber, onnx } from './proto.js';
import { decodeModel } from './read.js';
import { valueInfo } from './write.js';

/** A model without its ZipMap outputs, and the classes those ZipMaps named. */
export interface Unzipped {
  bytes: Uint8Array;
  /** Output name → the tensor output that replaced it. */
  replaced: Record<string, string>;
  classes: (string | number)[] | null;
}

/** Returns null when the model has no ZipMap feeding a graph output. */
export function withoutZipMap(bytes: Uint8Array): Unzipped | null {
  const m = decodeModel(bytes);
  const g = m.graph;
  const outputs = new Set(g.output.map((o) => o.name));
  const zipmaps = g.node.filter(
    (n) => n.opType === 'ZipMap' && n.domain === 'ai.onnx.ml' && outputs.has(n.output?.[0] ?? ''),
  );
  if (zipmaps.length === 0) return null;
  const replaced: Record<string, string> = {};
  let classes: (string | number)[] | null = null;
  for (const z of zipmaps) {
    const from = z.input?.[0] ?? '';
    replaced[z.output?.[0] ?? ''] = from;
    for (const a of z.attribute ?? []) {
      if (a.name === 'classlabels_int64s')
        classes = (a.ints ?? []).map((i) => int64ToNumber(i, 'classlabels_int64s'));
      if (a.name === 'classlabels_strings')
        classes = (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    }
  }
  const width = classes?.length ?? null;
  g.node = g.node.filter((n) => !zipmaps.includes(n));
  const taken = new Set(g.output.map((o) => o.name));
  g.output = g.output.flatMap((o) => {
    const from = replaced[o.name ?? ''];
    if (from === undefined) return [o];
    // Another output may already expose the probability tensor; list it once.
    if (taken.has(from)) return [];
    taken.add(from);
    return [onnx.ValueInfoProto.create(valueInfo(from, 'float', [null, width]))];
  });
  return { bytes: onnx.ModelProto.encode(m).finish(), replaced, classes };
}
