/** Serving protocol codecs: request bodies into input tensors, model outputs into responses. No I/O. */
export { type CsvText, parseCsvText } from './csv-text.js';
export {
  type InvocationsInput,
  type InvocationsOptions,
  invocationsResponse,
  parseInvocations,
} from './invocations.js';
export {
  type InferRequest,
  inferResponse,
  modelMetadata,
  type OipInferResponse,
  type OipModelMetadata,
  type OipServerMetadata,
  type OipTensor,
  type OipTensorMetadata,
  oipError,
  parseInferRequest,
  serverMetadata,
} from './oip.js';
export {
  columnsToFeeds,
  type FeedOptions,
  type Feeds,
  recordsToFeeds,
  type TableOptions,
  tableToFeeds,
} from './records.js';
