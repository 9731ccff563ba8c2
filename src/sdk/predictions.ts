import type { FeedbackItem, FeedbackResult, Label } from '../serving/feedback.js';
import type { SampleRow } from '../serving/log/persist.js';
import type {
  PredictionPage,
  PredictionQuery,
  PredictionSegment,
  PredictionWindow,
  WindowQuery,
} from '../serving/log/query.js';
import type { Api } from './api.js';
import { seg } from './codec.js';

/** A label as the SDK takes it: `requestId` (or the wire's `request_id`), label, optional row and time. */
export type FeedbackInput = Omit<FeedbackItem, 'requestId'> &
  ({ requestId: string } | { request_id: string });

type TimeArg = number | string | Date | undefined;
const time = (t: TimeArg): string | number | undefined => (t instanceof Date ? t.getTime() : t);

/** A deployment's prediction log: labels in, logged predictions, window profiles and samples out. */
export class Predictions {
  constructor(private readonly api: Api) {}

  /** Sends labels for logged predictions (at most 10,000 per call); a later label replaces an earlier one. */
  feedback(deployment: string, items: FeedbackInput[]): Promise<FeedbackResult> {
    const wire = items.map((i) => {
      const { requestId, ...rest } = i as FeedbackItem;
      return { ...rest, request_id: requestId ?? (i as { request_id: string }).request_id };
    });
    return this.api.json({
      method: 'POST',
      path: `/api/v1/deployments/${seg(deployment)}/feedback`,
      json: wire,
    });
  }

  /** Logged predictions in event-time order, each with its label once one arrived. */
  predictions(
    deployment: string,
    q: Omit<PredictionQuery, 'from' | 'to'> & { from?: TimeArg; to?: TimeArg } = {},
  ): Promise<PredictionPage> {
    return this.api.json({
      method: 'GET',
      path: `/api/v1/deployments/${seg(deployment)}/predictions`,
      query: {
        from: time(q.from),
        to: time(q.to),
        route: q.route,
        version: q.version,
        limit: q.limit,
        labelled: q.labelled === undefined ? undefined : String(q.labelled),
        pageToken: q.pageToken,
      },
    });
  }

  /** Window profiles of inputs and outputs per version and route, oldest first. */
  async windows(
    deployment: string,
    q: Omit<WindowQuery, 'from' | 'to'> & { from?: TimeArg; to?: TimeArg } = {},
  ): Promise<PredictionWindow[]> {
    const r = await this.api.json<{ windows: PredictionWindow[] }>({
      method: 'GET',
      path: `/api/v1/deployments/${seg(deployment)}/windows`,
      query: { from: time(q.from), to: time(q.to), version: q.version, route: q.route, limit: q.limit },
    });
    return r.windows;
  }

  /** The sampled raw-row segments, one per window. */
  async segments(deployment: string, q: { from?: TimeArg; to?: TimeArg } = {}): Promise<PredictionSegment[]> {
    const r = await this.api.json<{ segments: PredictionSegment[] }>({
      method: 'GET',
      path: `/api/v1/deployments/${seg(deployment)}/segments`,
      query: { from: time(q.from), to: time(q.to) },
    });
    return r.segments;
  }

  /** The rows of one segment (its JSON-lines blob, parsed). */
  async segmentRows(segment: Pick<PredictionSegment, 'sha256'>): Promise<SampleRow[]> {
    const chunks: Buffer[] = [];
    for await (const c of await this.api.stream({ method: 'GET', path: `/api/v1/blobs/${segment.sha256}` }))
      chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as SampleRow);
  }
}

export type {
  FeedbackItem,
  FeedbackResult,
  Label,
  PredictionPage,
  PredictionSegment,
  PredictionWindow,
  SampleRow,
};
