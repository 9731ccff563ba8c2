/**
 * Parser for one MLflow `order_by` entry: `<identifier> [ASC|DESC]`, ascending by default.
 * Identifiers take the same forms as in filters (see readIdentifier).
 */
import { invalidParam } from '../../core/errors.js';
import {
  type EntityKind,
  EXPERIMENT_IDENTIFIERS,
  type IdentifierSchema,
  RUN_IDENTIFIERS,
  readIdentifier,
  TokenStream,
} from './tokenizer.js';

export interface OrderBy {
  kind: EntityKind;
  key: string;
  ascending: boolean;
}

const EXPERIMENT_ORDER: IdentifierSchema = {
  ...EXPERIMENT_IDENTIFIERS,
  // experiment_id is sortable (MLflow's tie-breaker) but not filterable.
  attributes: new Map([
    ...EXPERIMENT_IDENTIFIERS.attributes,
    ['experiment_id', { key: 'experiment_id', numeric: false }],
  ]),
};

function parseOrderBy(clause: string, schema: IdentifierSchema, sortable: readonly EntityKind[]): OrderBy {
  const ts = new TokenStream(clause, 'order_by clause');
  if (ts.peek().type === 'eof') throw ts.fail('Could not be parsed: expected an identifier');
  const id = readIdentifier(ts, schema);
  if (!sortable.includes(id.kind)) {
    throw invalidParam(`Invalid order_by entity type '${id.kind}' in order_by clause '${clause}'`);
  }
  let ascending = true;
  let t = ts.next();
  if (t.type === 'word') {
    const direction = t.text.toUpperCase();
    if (direction !== 'ASC' && direction !== 'DESC') {
      throw invalidParam(
        `Invalid ordering key in order_by clause '${clause}'. Expected ASC or DESC, found '${t.text}'`,
      );
    }
    ascending = direction === 'ASC';
    t = ts.next();
  }
  if (t.type !== 'eof') throw ts.fail(`Could not be parsed: unexpected '${ts.restFrom(t)}'`);
  return { kind: id.kind, key: id.key, ascending };
}

/** Datasets are filterable but MLflow cannot sort by them. */
export const parseRunOrderBy = (clause: string): OrderBy =>
  parseOrderBy(clause, RUN_IDENTIFIERS, ['metric', 'param', 'tag', 'attribute']);

/** Experiments sort by attributes only: name, experiment_id, creation_time, last_update_time. */
export const parseExperimentOrderBy = (clause: string): OrderBy =>
  parseOrderBy(clause, EXPERIMENT_ORDER, ['attribute']);
