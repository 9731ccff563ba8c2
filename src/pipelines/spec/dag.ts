/**
 * The step graph. An edge A → B (B runs after A) exists when an out (or metrics file) of A equals,
 * contains or lies inside a dep of B; when B refers to `${steps.A.outputs.…}`; or when B lists A
 * in `after:`.
 */
import { invalidParam, notFound } from '../../core/errors.js';
import { overlaps } from './paths.js';
import { scanRefs, visitStrings } from './refs.js';
import type { PipelineSpec, StepSpec } from './types.js';

export interface Edge {
  from: string;
  to: string;
  /** Why the edge exists, e.g. `out 'data/prepared.csv' → dep 'data/'`, `${steps.a.outputs.ref}`, `after`. */
  why: string[];
}

/** Paths a step writes into the workspace: its outs and metrics files. */
export const producedPaths = (step: StepSpec): string[] => [...step.outs, ...step.metrics];

/** Every string of a step that may hold references: cmd lines, env values, `with:` values. */
export function stepStrings(
  step: StepSpec,
  visit: (s: string, path: readonly (string | number)[]) => void,
): void {
  if (step.kind === 'cmd') {
    visitStrings(step.cmd, ['cmd'], visit);
    visitStrings(step.env, ['env'], visit);
  } else visitStrings(step.with, ['with'], visit);
}

/** `${steps.x.outputs.k}` references of a step, as [step, reference text]. */
function stepRefs(step: StepSpec): [string, string][] {
  const out: [string, string][] = [];
  stepStrings(step, (s) => {
    try {
      for (const r of scanRefs(s)) if (r.kind === 'steps') out.push([r.step, r.text]);
    } catch {
      // The parser refuses malformed references; in a hand-built spec they make no edge.
    }
  });
  return out;
}

interface Graph {
  edges: Edge[];
  up: Map<string, string[]>;
  down: Map<string, string[]>;
  index: Map<string, number>;
}

const graphs = new WeakMap<PipelineSpec, Graph>();

/** Edges computed from the steps (the spec's `upstream` is a stored copy of them). */
function graph(spec: PipelineSpec): Graph {
  let g = graphs.get(spec);
  if (g) return g;
  const steps = Object.values(spec.steps);
  const index = new Map(steps.map((s, i) => [s.name, i]));
  const found = new Map<string, Edge>();
  const add = (from: string, to: string, why: string): void => {
    if (from === to || !index.has(from)) return;
    const k = `${from}\0${to}`;
    const e = found.get(k) ?? { from, to, why: [] };
    if (!e.why.includes(why)) e.why.push(why);
    found.set(k, e);
  };
  for (const b of steps) {
    for (const a of steps) {
      if (a === b) continue;
      for (const o of producedPaths(a))
        for (const d of b.deps) if (overlaps(o, d)) add(a.name, b.name, `out '${o}' → dep '${d}'`);
    }
    for (const [from, text] of stepRefs(b)) add(from, b.name, text);
    for (const from of b.after) add(from, b.name, 'after');
  }
  const pos = (n: string) => index.get(n)!;
  const edges = [...found.values()].sort((x, y) => pos(x.to) - pos(y.to) || pos(x.from) - pos(y.from));
  const up = new Map(steps.map((s) => [s.name, [] as string[]]));
  const down = new Map(steps.map((s) => [s.name, [] as string[]]));
  for (const e of edges) {
    up.get(e.to)!.push(e.from);
    down.get(e.from)!.push(e.to);
  }
  g = { edges, up, down, index };
  graphs.set(spec, g);
  return g;
}

/** Every edge, deduplicated, with the reasons it exists. */
export const edges = (spec: PipelineSpec): Edge[] => graph(spec).edges;

/**
 * A cycle as step names, first repeated last (`['train', 'evaluate', 'train']`), or null.
 * Reported in the direction work flows: each step feeds the next.
 */
export function findCycle(spec: PipelineSpec): string[] | null {
  const { down } = graph(spec);
  const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: finished
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    stack.push(n);
    for (const m of down.get(n) ?? []) {
      if (state.get(m) === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const name of Object.keys(spec.steps)) {
    if (state.has(name)) continue;
    const c = visit(name);
    if (c) return c;
  }
  return null;
}

/** `train → evaluate → train`. */
export const formatCycle = (cycle: readonly string[]): string => cycle.join(' → ');

/** Step names in an order where every step comes after its upstream steps; ties keep file order. */
export function topologicalOrder(spec: PipelineSpec): string[] {
  const { up, down, index } = graph(spec);
  const names = Object.keys(spec.steps);
  const waiting = new Map(names.map((n) => [n, up.get(n)!.length]));
  const ready = names.filter((n) => waiting.get(n) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => index.get(a)! - index.get(b)!);
    const n = ready.shift()!;
    order.push(n);
    for (const m of down.get(n)!) {
      const left = waiting.get(m)! - 1;
      waiting.set(m, left);
      if (left === 0) ready.push(m);
    }
  }
  if (order.length < names.length) {
    const cycle = findCycle(spec)!;
    throw invalidParam(`pipeline '${spec.name}': steps form a cycle: ${formatCycle(cycle)}`, 'steps');
  }
  return order;
}

function known(spec: PipelineSpec, step: string): void {
  if (!graph(spec).index.has(step)) throw notFound(`pipeline '${spec.name}' has no step '${step}'`, 'step');
}

/** Each step's direct upstream steps, in file order (what the parser stores as `spec.upstream`). */
export function upstreamMap(spec: PipelineSpec): Record<string, string[]> {
  const { up, index } = graph(spec);
  const byFile = (a: string, b: string) => index.get(a)! - index.get(b)!;
  return Object.fromEntries(Object.keys(spec.steps).map((n) => [n, [...up.get(n)!].sort(byFile)]));
}

/** Every step `step` depends on, directly or not (not `step` itself), in topological order. */
export function upstreamOf(spec: PipelineSpec, step: string): string[] {
  known(spec, step);
  const { up } = graph(spec);
  const seen = new Set<string>();
  const pending = [step];
  while (pending.length > 0)
    for (const m of up.get(pending.pop()!)!)
      if (!seen.has(m)) {
        seen.add(m);
        pending.push(m);
      }
  return topologicalOrder(spec).filter((n) => seen.has(n));
}

/** Every step that depends on `step`, directly or not (not `step` itself), in topological order. */
export function downstreamOf(spec: PipelineSpec, step: string): string[] {
  known(spec, step);
  const { down } = graph(spec);
  const seen = new Set<string>();
  const pending = [step];
  while (pending.length > 0)
    for (const m of down.get(pending.pop()!)!)
      if (!seen.has(m)) {
        seen.add(m);
        pending.push(m);
      }
  return topologicalOrder(spec).filter((n) => seen.has(n));
}

/**
 * Steps that may start now: not done, not in `exclude` (e.g. running or failed), and every
 * upstream step done. In topological order.
 */
export function readySteps(
  spec: PipelineSpec,
  done: ReadonlySet<string>,
  exclude: ReadonlySet<string> = new Set(),
): string[] {
  const { up } = graph(spec);
  return topologicalOrder(spec).filter(
    (n) => !done.has(n) && !exclude.has(n) && up.get(n)!.every((u) => done.has(u)),
  );
}
