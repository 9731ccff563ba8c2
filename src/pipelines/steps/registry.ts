import { dataCheckStep } from './builtins/data-check.js';
import { dataSnapshotStep } from './builtins/data-snapshot.js';
import { deployStep } from './builtins/deploy.js';
import { evaluateStep } from './builtins/evaluate.js';
import { gateStep } from './builtins/gate.js';
import { registerStep } from './builtins/register.js';
import { trainStep } from './builtins/train.js';
import type { Builtin } from './types.js';

/** Every built-in step type, by the name a pipeline's `uses:` gives. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map(
  (
    [
      trainStep,
      evaluateStep,
      registerStep,
      gateStep,
      deployStep,
      dataCheckStep,
      dataSnapshotStep,
    ] as Builtin[]
  ).map((b) => [b.name, b]),
);
