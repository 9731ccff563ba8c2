/** Seeded mixed-type tables for the trainer tests: numeric, boolean, categorical, datetime and text. */
import { seededRandom } from '../../../src/core/random.js';
import type { Typed } from '../../../src/data/schema.js';
import type { TrainTable } from '../../../src/models/train/index.js';
import type { ColumnType } from '../../../src/stats/types.js';

const REGIONS = ['north', 'south', 'east', 'west'];
const PLANS = ['basic', 'plus', 'pro'];

export interface MixedOptions {
  rows: number;
  seed?: number;
  /** Categories never seen in training, mixed in at this rate (predict-time tables). */
  unseen?: number;
}

/**
 * Columns: age (integer), income (float), score (float), member (boolean), region and plan
 * (categorical), signup (datetime), note (text), and targets approved (boolean), tier (categorical,
 * 3 classes), rating (integer 1..5), amount (float). Features have missing values.
 */
export function mixedTable(opts: MixedOptions): TrainTable {
  const rnd = seededRandom(opts.seed ?? 1);
  const n = opts.rows;
  const cols: Record<string, Typed[]> = {};
  const types: Record<string, ColumnType> = {
    age: 'integer',
    income: 'float',
    score: 'float',
    member: 'boolean',
    region: 'categorical',
    plan: 'categorical',
    signup: 'datetime',
    note: 'text',
    approved: 'boolean',
    tier: 'categorical',
    rating: 'integer',
    amount: 'float',
  };
  for (const name of Object.keys(types)) cols[name] = [];
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const maybe = <T>(p: number, v: T): T | null => (rnd() < p ? null : v);
  const unseen = opts.unseen ?? 0;
  for (let i = 0; i < n; i++) {
    const age = 18 + Math.floor(rnd() * 60);
    const income = Math.round(Math.exp(10 + 0.5 * gauss()) * 100) / 100;
    const score = gauss();
    const member = rnd() < 0.4;
    const region = rnd() < unseen ? 'central' : REGIONS[Math.floor(rnd() * REGIONS.length)]!;
    const plan = rnd() < unseen ? 'enterprise' : PLANS[Math.floor(rnd() * PLANS.length)]!;
    const regionEffect = { north: 0.8, south: -0.5, east: 0.2, west: -0.6 }[region] ?? 0;
    const planEffect = { basic: -0.7, plus: 0.1, pro: 0.9 }[plan] ?? 0;
    const z =
      0.04 * (age - 45) +
      0.8 * Math.log(income / 22000) +
      1.1 * score +
      (member ? 0.6 : 0) +
      regionEffect +
      planEffect;
    const noisy = z + 0.8 * gauss();
    cols['age']!.push(maybe(0.05, age));
    cols['income']!.push(maybe(0.1, income));
    cols['score']!.push(maybe(0.03, score));
    cols['member']!.push(maybe(0.05, member));
    cols['region']!.push(maybe(0.05, region));
    cols['plan']!.push(plan);
    cols['signup']!.push(Date.UTC(2024, 0, 1) + Math.floor(rnd() * 365) * 86_400_000);
    cols['note']!.push(`free text ${i}`);
    cols['approved']!.push(noisy > 0);
    cols['tier']!.push(noisy < -0.7 ? 'bronze' : noisy < 0.7 ? 'silver' : 'gold');
    cols['rating']!.push(Math.min(5, Math.max(1, Math.round(3 + noisy))));
    cols['amount']!.push(Math.round((200 + 60 * noisy + 5 * gauss()) * 100) / 100);
  }
  return {
    rows: n,
    schema: {
      columns: Object.entries(types).map(([name, type]) => ({ name, type, nullable: true })),
    },
    columns: cols,
  };
}
