/** Histogram gradient-boosted decision trees: training and the ONNX TreeEnsemble node. */
export { type GbdtOptions, trainGbdt } from './boost.js';
export type { GbdtModel } from './model.js';
export { GBDT_ONNX_OPSET, treeEnsembleNode } from './onnx.js';
export { GBDT_DEFAULTS, type GbdtParams, validateGbdtParams } from './params.js';
export type { GbdtTree } from './tree.js';
