import { type Document, isMap, isNode, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { invalidParam, type KeelError } from '../../core/errors.js';

export type YamlPath = readonly (string | number)[];

/** `['pipelines','retrain','steps','prep','deps',1]` → `pipelines.retrain.steps.prep.deps[1]`. */
export const fieldName = (path: YamlPath): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

/** "pipeline 'retrain', step 'prep'" for a path inside a step; what an error is about. */
function subject(path: YamlPath): string {
  const parts: string[] = [];
  if (path[0] === 'pipelines' && path.length > 1) parts.push(`pipeline '${path[1]}'`);
  if (path[2] === 'steps' && path.length > 3) parts.push(`step '${path[3]}'`);
  if (path[2] === 'triggers' && typeof path[3] === 'number') parts.push(`triggers[${path[3]}]`);
  if (path[2] === 'params' && path.length > 3) parts.push(`param '${path[3]}'`);
  return parts.join(', ');
}

/** Turns a path into the file's line, and a problem into an error naming file:line and subject. */
export class Locator {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Line of `path` (with `key`, of that key inside it): a pair's key, or the nearest existing parent. */
  line(path: YamlPath, key?: string): number {
    const full = key === undefined ? path : [...path, key];
    for (let n = full.length; n > 0; n--) {
      const parent = this.doc.getIn(full.slice(0, n - 1), true);
      const last = full[n - 1];
      let node: unknown;
      // A pair's key is where a reader looks: a block list or map value starts on the next line.
      if (isMap(parent))
        node = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last))?.key;
      else if (isSeq(parent) && typeof last === 'number') node = parent.items[last];
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    const root = this.doc.contents;
    return isNode(root) && root.range ? this.lines.linePos(root.range[0]).line : 1;
  }

  /** The YAML node at `path` (to read how a scalar was written), if any. */
  node(path: YamlPath): Node | undefined {
    const n = this.doc.getIn(path, true);
    return isNode(n) ? n : undefined;
  }

  /** INVALID_PARAMETER_VALUE: `file:line: pipeline 'p', step 's': problem`, field = the dotted path. */
  error(path: YamlPath, problem: string, key?: string): KeelError {
    const where = subject(path);
    const field = fieldName(key === undefined ? path : [...path, key]);
    return invalidParam(
      `${this.file}:${this.line(path, key)}: ${where ? `${where}: ` : ''}${problem}`,
      field,
    );
  }
}
