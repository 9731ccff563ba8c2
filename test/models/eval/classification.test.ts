import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/models/eval/index.js';

// Reference values below were computed once with scikit-learn 1.2.1 (Debian python3-sklearn);
// the call that produced each is named beside it.

/** A binary case with tied scores: 0.4 three times, across both classes. */
const Y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
const P = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.6, 0.7];
const twoColumns = (p: number[]) => Float64Array.from(p.flatMap((q) => [1 - q, q]));

describe('evaluate: binary classification', () => {
  it('matches scikit-learn on a case with tied scores', () => {
    const r = evaluate({
      task: 'binary',
      classes: [0, 1],
      actual: Y,
      predicted: { labels: null, probabilities: twoColumns(P), values: null },
    });
    expect(r.rows).toBe(10);
    expect(r.skipped).toBe(0);
    expect(Object.keys(r.metrics)).toEqual([
      'accuracy',
      'precision',
      'recall',
      'f1',
      'roc_auc',
      'pr_auc',
      'log_loss',
      'ece',
    ]);
    // predictions = argmax (p > 0.5); confusion_matrix(y, yp).tolist()
    expect(r.confusion).toEqual({
      labels: [0, 1],
      matrix: [
        [4, 1],
        [2, 3],
      ],
    });
    expect(r.metrics['accuracy']).toBeCloseTo(0.7, 14); // accuracy_score
    expect(r.metrics['precision']).toBeCloseTo(0.75, 14); // precision_score
    expect(r.metrics['recall']).toBeCloseTo(0.6, 14); // recall_score
    expect(r.metrics['f1']).toBeCloseTo(0.6666666666666665, 14); // f1_score
    expect(r.metrics['roc_auc']).toBeCloseTo(0.76, 14); // roc_auc_score(y, p)
    expect(r.metrics['pr_auc']).toBeCloseTo(0.7892857142857144, 14); // average_precision_score(y, p)
    expect(r.metrics['log_loss']).toBeCloseTo(0.5359570665940813, 12); // log_loss(y, [1-p, p], labels=[0, 1])
  });

  it('takes N×1 probabilities as the positive class and agrees with N×2', () => {
    const base = { task: 'binary' as const, classes: [0, 1], actual: Y };
    const one = evaluate({
      ...base,
      predicted: { labels: null, probabilities: Float64Array.from(P), values: null },
    });
    const two = evaluate({
      ...base,
      predicted: { labels: null, probabilities: twoColumns(P), values: null },
    });
    for (const [k, v] of Object.entries(two.metrics)) expect(one.metrics[k]).toBeCloseTo(v!, 12);
  });

  it('matches scikit-learn on 24 rows with many ties', () => {
    const y = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0];
    const p = [
      0.7, 0.8, 0.8, 0.8, 1.0, 1.0, 0.9, 0.6, 0.1, 0.1, 0.4, 0.5, 0.5, 0.3, 0.3, 1.0, 0.4, 0.8, 0.3, 0.1, 0.5,
      0.1, 0.4, 0.1,
    ];
    const r = evaluate({
      task: 'binary',
      classes: [0, 1],
      actual: y,
      predicted: { labels: null, probabilities: twoColumns(p), values: null },
    });
    expect(r.metrics['roc_auc']).toBeCloseTo(0.9791666666666666, 14); // roc_auc_score
    expect(r.metrics['pr_auc']).toBeCloseTo(0.9807692307692308, 14); // average_precision_score
    expect(r.metrics['log_loss']).toBeCloseTo(0.31165192582544543, 12); // log_loss(labels=[0, 1])
    // A 0.5 score is a tie in argmax and predicts the first class, as (p > 0.5) does.
    expect(r.metrics['accuracy']).toBeCloseTo(0.8333333333333334, 14); // accuracy_score(y, p > 0.5)
    expect(r.metrics['f1']).toBeCloseTo(0.8181818181818182, 14); // f1_score(y, p > 0.5)
  });

  it('scores a perfect classifier 1 everywhere and loses almost nothing', () => {
    const r = evaluate({
      task: 'binary',
      classes: ['no', 'yes'],
      actual: ['no', 'yes', 'yes', 'no'],
      predicted: { labels: null, probabilities: twoColumns([0, 1, 1, 0]), values: null },
    });
    for (const k of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc'])
      expect(r.metrics[k]).toBe(1);
    expect(r.metrics['ece']).toBe(0);
    // Probabilities of exactly 1 are clipped to 1 − ε (ε = float64 epsilon).
    expect(r.metrics['log_loss']).toBeGreaterThan(0);
    expect(r.metrics['log_loss']).toBeLessThan(1e-15);
  });

  it('uses the second class as positive by default and honours positiveClass', () => {
    const input = {
      task: 'binary' as const,
      classes: ['no', 'yes'],
      actual: ['no', 'yes', 'yes', 'no'],
      predicted: { labels: ['yes', 'yes', 'no', 'no'], probabilities: null, values: null },
    };
    // precision_score(['no','yes','yes','no'], ['yes','yes','no','no'], pos_label='yes') = 0.5
    expect(evaluate(input).metrics['precision']).toBe(0.5);
    expect(evaluate({ ...input, positiveClass: 'no' }).metrics['recall']).toBe(0.5);
    expect(() => evaluate({ ...input, positiveClass: 'maybe' })).toThrow(/positiveClass/);
  });

  it('reports null where sklearn warns and returns 0, and null probability metrics without probabilities', () => {
    const r = evaluate({
      task: 'binary',
      classes: [0, 1],
      actual: [0, 0, 1],
      predicted: { labels: [0, 0, 0], probabilities: null, values: null },
    });
    expect(r.metrics['precision']).toBeNull(); // nothing predicted positive
    expect(r.metrics['recall']).toBe(0);
    expect(r.metrics['f1']).toBe(0);
    expect(r.metrics['roc_auc']).toBeNull();
    expect(r.metrics['log_loss']).toBeNull();
    expect(r.calibration).toBeUndefined();
  });

  it('skips missing actuals and matches booleans and numeric strings to the classes', () => {
    const r = evaluate({
      task: 'binary',
      classes: [0, 1],
      actual: [true, false, null, '1', '', Number.NaN, '0.0'],
      predicted: { labels: [1, 0, 1, 1, 0, 0, 1], probabilities: null, values: null },
    });
    expect(r.rows).toBe(4);
    expect(r.skipped).toBe(3);
    expect(r.confusion).toEqual({
      labels: [0, 1],
      matrix: [
        [1, 1],
        [0, 2],
      ],
    });
  });

  it('puts a label the model does not know after its classes in the confusion matrix', () => {
    const r = evaluate({
      task: 'binary',
      classes: [0, 1],
      actual: [0, 1, 2],
      predicted: { labels: null, probabilities: twoColumns([0.2, 0.9, 0.8]), values: null },
    });
    expect(r.confusion).toEqual({
      labels: [0, 1, 2],
      matrix: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 1, 0],
      ],
    });
    expect(r.metrics['accuracy']).toBeCloseTo(2 / 3, 14);
  });

  it('rejects inconsistent input with a clear error', () => {
    const predicted = { labels: [0, 1], probabilities: null, values: null };
    expect(() => evaluate({ task: 'binary', classes: [0, 1, 2], actual: [0, 1], predicted })).toThrow(
      /exactly two classes/,
    );
    expect(() => evaluate({ task: 'binary', classes: [0, 1], actual: [0, 1, 1], predicted })).toThrow(
      /predicted.labels has 2 values for 3 rows/,
    );
    expect(() =>
      evaluate({
        task: 'binary',
        classes: [0, 1],
        actual: [0, 1],
        predicted: {
          labels: null,
          probabilities: new Float64Array([0.5, 0.5, Number.NaN, 0.5]),
          values: null,
        },
      }),
    ).toThrow(/row 1 is NaN/);
  });
});

describe('evaluate: multiclass classification', () => {
  const classes = ['a', 'b', 'c'];
  const y = ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'c', 'b', 'a'];
  const probs = Float64Array.from(
    [
      [0.7, 0.2, 0.1],
      [0.3, 0.4, 0.3],
      [0.2, 0.2, 0.6],
      [0.4, 0.5, 0.1],
      [0.1, 0.8, 0.1],
      [0.3, 0.3, 0.4],
      [0.6, 0.3, 0.1],
      [0.5, 0.1, 0.4],
      [0.2, 0.3, 0.5],
      [0.34, 0.33, 0.33],
    ].flat(),
  );

  it('matches scikit-learn macro and one-vs-rest metrics', () => {
    const r = evaluate({
      task: 'multiclass',
      classes,
      actual: y,
      predicted: { labels: null, probabilities: probs, values: null },
    });
    expect(Object.keys(r.metrics)).toEqual([
      'accuracy',
      'precision_macro',
      'recall_macro',
      'f1_macro',
      'f1_weighted',
      'roc_auc_ovr',
      'pr_auc_macro',
      'log_loss',
      'ece',
    ]);
    // confusion_matrix(y, classes[P.argmax(1)], labels=classes)
    expect(r.confusion?.matrix).toEqual([
      [3, 1, 0],
      [0, 2, 1],
      [1, 0, 2],
    ]);
    expect(r.metrics['accuracy']).toBeCloseTo(0.7, 14); // accuracy_score
    expect(r.metrics['precision_macro']).toBeCloseTo(0.6944444444444443, 14); // precision_score(average='macro')
    expect(r.metrics['recall_macro']).toBeCloseTo(0.6944444444444443, 14); // recall_score(average='macro')
    expect(r.metrics['f1_macro']).toBeCloseTo(0.6944444444444443, 14); // f1_score(average='macro')
    expect(r.metrics['f1_weighted']).toBeCloseTo(0.7, 14); // f1_score(average='weighted')
    // roc_auc_score(y, P, multi_class='ovr', average='macro', labels=classes)
    expect(r.metrics['roc_auc_ovr']).toBeCloseTo(0.876984126984127, 14);
    // average_precision_score(label_binarize(y, classes=classes), P, average='macro')
    expect(r.metrics['pr_auc_macro']).toBeCloseTo(0.806415343915344, 14);
    expect(r.metrics['log_loss']).toBeCloseTo(0.7549415135979409, 12); // log_loss(y, P, labels=classes)
  });

  it('averages over the labels present in actual or predicted, as sklearn does', () => {
    const labels = (xs: number[]) => ({ labels: xs, probabilities: null, values: null });
    // precision/recall/f1_score(y, p, average='macro'|'weighted') with y = [0,1,2,2,1,0,1,2], p = [0,1,1,2,1,0,0,2]
    const all = evaluate({
      task: 'multiclass',
      classes: [0, 1, 2],
      actual: [0, 1, 2, 2, 1, 0, 1, 2],
      predicted: labels([0, 1, 1, 2, 1, 0, 0, 2]),
    });
    expect(all.metrics['precision_macro']).toBeCloseTo(0.7777777777777777, 14);
    expect(all.metrics['recall_macro']).toBeCloseTo(0.7777777777777777, 14);
    expect(all.metrics['f1_macro']).toBeCloseTo(0.7555555555555555, 14);
    expect(all.metrics['f1_weighted']).toBeCloseTo(0.75, 14);
    // Class 2 appears in neither: it is not averaged in. y = [0,1,1,0], p = [0,1,0,0]
    const sub = evaluate({
      task: 'multiclass',
      classes: [0, 1, 2],
      actual: [0, 1, 1, 0],
      predicted: labels([0, 1, 0, 0]),
    });
    expect(sub.metrics['precision_macro']).toBeCloseTo(0.8333333333333333, 14);
    expect(sub.metrics['recall_macro']).toBeCloseTo(0.75, 14);
    expect(sub.metrics['f1_macro']).toBeCloseTo(0.7333333333333334, 14);
    expect(sub.metrics['f1_weighted']).toBeCloseTo(0.7333333333333334, 14);
  });

  it('derives sorted classes from the labels when the model does not state them', () => {
    const r = evaluate({
      task: 'multiclass',
      classes: null,
      actual: ['c', 'a', 'b'],
      predicted: { labels: ['c', 'b', 'b'], probabilities: null, values: null },
    });
    expect(r.confusion?.labels).toEqual(['a', 'b', 'c']);
  });

  it('needs positiveClass for fairness', () => {
    const input = {
      task: 'multiclass' as const,
      classes,
      actual: y,
      predicted: { labels: null, probabilities: probs, values: null },
      sensitive: { name: 'g', values: y.map((_, i) => (i % 2 ? 'x' : 'y')) },
    };
    expect(() => evaluate(input)).toThrow(/positiveClass/);
    const r = evaluate({ ...input, positiveClass: 'c' });
    expect(r.fairness?.positiveClass).toBe('c');
  });
});
