/**
 * The pipeline file (`pipelines:` → name → description, params, concurrency, triggers, steps).
 * Parsed with `yaml` so every error names the file and line; nothing is returned unless the whole
 * file is valid.
 */
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { invalidParam } from '../../core/errors.js';
import type { Builtin } from '../steps/types.js';
import { edges, findCycle, formatCycle, producedPaths, upstreamMap } from './dag.js';
import { parseParamDecl, parseTrigger } from './decls.js';
import { Locator, type YamlPath } from './locate.js';
import { overlaps } from './paths.js';
import { FIELDS, RawFile, type RawPipelineT } from './schema.js';
import { parseStep } from './step.js';
import type { PipelineSpec, StepSpec } from './types.js';

export interface ParseOptions {
  /** Named in every error (`retrain.yaml:12: …`). */
  file: string;
  /** The built-in step types `uses:` may name. */
  builtins: ReadonlyMap<string, Builtin>;
}

export const PIPELINE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

const valueAt = (v: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? Reflect.get(o, k) : undefined), v);

/** The first schema problem as an error at its line. */
function shapeError(at: Locator, issue: z.core.$ZodIssue, raw: unknown): Error {
  const path = issue.path as (string | number)[];
  if (issue.code === 'unrecognized_keys') {
    const known = path.length === 0 ? FIELDS.file : path.length === 2 ? FIELDS.pipeline : FIELDS.step;
    return at.error(path, `unknown field '${issue.keys[0]}' (known: ${known.join(', ')})`, issue.keys[0]);
  }
  const field = path[path.length - 1];
  if (valueAt(raw, path) === undefined && typeof field === 'string')
    return at.error(path.slice(0, -1), `missing field '${field}'`);
  return at.error(path, typeof field === 'string' ? `${field}: ${issue.message}` : issue.message);
}

/** Outs must belong to one step and not overlap its own deps (or its key would chase its own output). */
function checkOuts(steps: StepSpec[], path: YamlPath, at: Locator): void {
  const owners: [string, StepSpec][] = [];
  for (const s of steps) {
    const sp = [...path, s.name];
    for (const o of producedPaths(s)) {
      const own = s.deps.find((d) => overlaps(o, d));
      if (own !== undefined)
        throw at.error(
          sp,
          `out '${o}' overlaps the step's own dep '${own}': a step cannot read what it writes`,
          'outs',
        );
      for (const [other, by] of owners) {
        if (!overlaps(o, other)) continue;
        if (by === s) throw at.error(sp, `outs '${other}' and '${o}' overlap`, 'outs');
        throw at.error(
          sp,
          other === o
            ? `out '${o}' is also declared by step '${by.name}': two steps cannot write the same path`
            : `out '${o}' overlaps out '${other}' of step '${by.name}': two steps cannot write the same path`,
          'outs',
        );
      }
      owners.push([o, s]);
    }
  }
}

function parsePipeline(
  name: string,
  raw: RawPipelineT,
  at: Locator,
  builtins: ReadonlyMap<string, Builtin>,
): PipelineSpec {
  const path = ['pipelines', name];
  if (!PIPELINE_NAME.test(name) || name.length > 100)
    throw at.error(
      path,
      `bad pipeline name '${name}': use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`,
    );
  const params = Object.fromEntries(
    Object.entries(raw.params ?? {}).map(([p, v]) => [p, parseParamDecl(p, v, [...path, 'params', p], at)]),
  );
  const triggers = (raw.triggers ?? []).map((t, i) => parseTrigger(t, [...path, 'triggers', i], at));
  const names = Object.keys(raw.steps);
  if (names.length === 0) throw at.error(path, 'no steps: a pipeline needs at least one step', 'steps');
  const scope = { at, steps: new Set(names), params, hasTriggers: triggers.length > 0, builtins };
  const list = names.map((s) => parseStep(s, raw.steps[s]!, [...path, 'steps', s], scope));
  checkOuts(list, [...path, 'steps'], at);
  const steps = Object.fromEntries(list.map((s) => [s.name, s]));
  const spec: PipelineSpec = {
    name,
    file: at.file,
    line: at.line(path),
    description: raw.description ?? '',
    params,
    concurrency: raw.concurrency ?? 1,
    triggers,
    steps,
    upstream: {},
  };
  const cycle = findCycle(spec);
  if (cycle) {
    const why = cycle
      .slice(1)
      .map((to, i) => {
        const e = edges(spec).find((x) => x.from === cycle[i] && x.to === to)!;
        return `${to} after ${e.from}: ${e.why[0]}`;
      })
      .join('; ');
    throw at.error([...path, 'steps', cycle[0]!], `steps form a cycle: ${formatCycle(cycle)} (${why})`);
  }
  spec.upstream = upstreamMap(spec);
  return spec;
}

/** Every pipeline of a pipeline file, validated and normalised; throws INVALID_PARAMETER_VALUE naming file:line. */
export function parsePipelineFile(text: string, opts: ParseOptions): PipelineSpec[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lines.linePos(syntax.pos[0]).line;
    throw invalidParam(`${opts.file}:${line}: invalid YAML: ${syntax.message.split('\n')[0]}`, 'yaml');
  }
  const at = new Locator(opts.file, doc, lines);
  const raw: unknown = doc.toJS();
  const parsed = RawFile.safeParse(raw);
  if (!parsed.success) throw shapeError(at, parsed.error.issues[0]!, raw);
  const names = Object.keys(parsed.data.pipelines);
  if (names.length === 0) throw at.error(['pipelines'], 'no pipelines defined');
  return names.map((n) => parsePipeline(n, parsed.data.pipelines[n]!, at, opts.builtins));
}
