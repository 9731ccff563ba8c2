/**
 * What monitoring reads from the prediction log: window profiles merged per route over a range,
 * and the labelled predictions of a range (records joined with their feedback).
 */

import { ProfileMerger } from '../stats/merge.js';
import type { DatasetProfile } from '../stats/types.js';
import type { Db } from '../store/db.js';
import type { LabelledRow } from './checks/performance.js';

/** One route's merged profile over a range, with the versions that served it (latest last). */
export interface RouteProfile {
  route: string;
  versions: number[];
  rows: number;
  profile: DatasetProfile;
}

/**
 * Log windows of a deployment with window_start in [from, to): merged per route, in window order,
 * in one pass (each window's sketches decoded once, each route's merged profile encoded once).
 */
export async function routeProfiles(
  db: Db,
  deployment: string,
  from: number,
  to: number,
): Promise<RouteProfile[]> {
  const rows = await db
    .selectFrom('prediction_windows')
    .select(['version', 'route', 'rows', 'profile', 'window_start'])
    .where('deployment', '=', deployment)
    .where('window_start', '>=', from)
    .where('window_start', '<', to)
    .orderBy('route')
    .orderBy('window_start')
    .orderBy('version')
    .execute();
  const byRoute = new Map<
    string,
    { route: string; versions: number[]; rows: number; merger: ProfileMerger }
  >();
  for (const r of rows) {
    const profile = JSON.parse(r.profile) as DatasetProfile;
    const cur = byRoute.get(r.route);
    if (!cur) {
      const merger = new ProfileMerger().add(profile);
      byRoute.set(r.route, { route: r.route, versions: [r.version], rows: r.rows, merger });
      continue;
    }
    if (!cur.versions.includes(r.version)) cur.versions.push(r.version);
    cur.rows += r.rows;
    try {
      cur.merger.add(profile);
    } catch {
      // Versions whose inputs differ in type cannot merge: the window keeps the latest version's.
      cur.merger = new ProfileMerger().add(profile);
    }
  }
  return [...byRoute.values()].map(({ merger, ...route }) => ({ ...route, profile: merger.result() }));
}

/** Log windows (start, end, rows) of a deployment from `from` on, summed over routes: count windows group these. */
export async function logSpans(
  db: Db,
  deployment: string,
  from: number,
  to: number,
): Promise<{ start: number; end: number; rows: number }[]> {
  const rows = await db
    .selectFrom('prediction_windows')
    .select(['window_start', 'window_ms', 'rows', 'route'])
    .where('deployment', '=', deployment)
    .where('window_start', '>=', from)
    .where('window_start', '<', to)
    .orderBy('window_start')
    .execute();
  const out: { start: number; end: number; rows: number }[] = [];
  for (const r of rows) {
    // Count windows count what the primary route answered (shadows see the same requests again).
    if (r.route !== 'primary' && r.route !== 'canary' && !r.route.startsWith('variant:')) continue;
    const last = out[out.length - 1];
    if (last && last.start === r.window_start) last.rows += r.rows;
    else out.push({ start: r.window_start, end: r.window_start + r.window_ms, rows: r.rows });
  }
  return out;
}

/** Labelled predictions of a route with event time in [from, to); `route` null = every route. */
export async function labelledRows(
  db: Db,
  deployment: string,
  route: string | null,
  from: number,
  to: number,
): Promise<LabelledRow[]> {
  let q = db
    .selectFrom('prediction_records as r')
    .innerJoin('prediction_feedback as f', (j) =>
      j
        .onRef('f.deployment', '=', 'r.deployment')
        .onRef('f.request_id', '=', 'r.request_id')
        .onRef('f.row', '=', 'r.row'),
    )
    .select(['r.prediction', 'f.label'])
    .where('r.deployment', '=', deployment)
    .where('r.event_time', '>=', from)
    .where('r.event_time', '<', to);
  if (route !== null) q = q.where('r.route', '=', route);
  const rows = await q.execute();
  return rows.map((r) => ({ prediction: JSON.parse(r.prediction), label: JSON.parse(r.label) }));
}
