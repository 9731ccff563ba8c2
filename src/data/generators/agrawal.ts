import { seededRandom } from '../../core/random.js';

/**
 * The Agrawal data-stream generator (Agrawal, Imielinski & Swami, "Database mining: a performance
 * perspective", 1993), as implemented in MOA's AgrawalGenerator: nine loan-applicant attributes and
 * ten labelling functions. A standard concept-drift benchmark: switching the function changes
 * what "approved" means; shifting the attribute ranges changes the population.
 */
export interface Applicant {
  salary: number;
  commission: number;
  age: number;
  /** Education level 0–4. */
  elevel: number;
  /** Car make 1–20. */
  car: number;
  /** Zip code 0–8. */
  zipcode: number;
  hvalue: number;
  hyears: number;
  loan: number;
}

export interface LabelledApplicant extends Applicant {
  /** 1 for MOA's "group A" (approved), 0 otherwise. */
  approved: 0 | 1;
}

export type AgrawalFunction = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export interface AgrawalOptions {
  seed: number;
  fn: AgrawalFunction;
  /** Fraction of labels flipped at random (label noise). */
  labelNoise?: number;
  /** Shifts the population: adds this many years to every age draw (clamped to 18–90). */
  ageShift?: number;
  /** Multiplies every salary draw (e.g. 0.8 for a recession). */
  salaryScale?: number;
}

const between = (x: number, lo: number, hi: number) => x >= lo && x <= hi;

/** MOA's ten labelling functions; true means group A. */
export function groupA(a: Applicant, fn: AgrawalFunction): boolean {
  const { age, salary, commission, elevel, loan, hvalue, hyears } = a;
  const band = (young: boolean, middle: boolean, old: boolean) =>
    age < 40 ? young : age < 60 ? middle : old;
  switch (fn) {
    case 1:
      return age < 40 || age >= 60;
    case 2:
      return band(
        between(salary, 50_000, 100_000),
        between(salary, 75_000, 125_000),
        between(salary, 25_000, 75_000),
      );
    case 3:
      return band(elevel <= 1, elevel >= 1 && elevel <= 3, elevel >= 2);
    case 4:
      return band(
        elevel <= 1 ? between(salary, 25_000, 75_000) : between(salary, 50_000, 100_000),
        elevel >= 1 && elevel <= 3 ? between(salary, 50_000, 100_000) : between(salary, 75_000, 125_000),
        elevel >= 2 ? between(salary, 50_000, 100_000) : between(salary, 25_000, 75_000),
      );
    case 5:
      return band(
        between(salary, 50_000, 100_000) ? between(loan, 100_000, 300_000) : between(loan, 200_000, 400_000),
        between(salary, 75_000, 125_000) ? between(loan, 200_000, 400_000) : between(loan, 300_000, 500_000),
        between(salary, 25_000, 75_000) ? between(loan, 300_000, 500_000) : between(loan, 100_000, 300_000),
      );
    case 6: {
      const total = salary + commission;
      return band(
        between(total, 50_000, 100_000),
        between(total, 75_000, 125_000),
        between(total, 25_000, 75_000),
      );
    }
    case 7:
      return (2 * (salary + commission)) / 3 - loan / 5 - 20_000 > 0;
    case 8:
      return (2 * (salary + commission)) / 3 - 5000 * elevel - 20_000 > 0;
    case 9:
      return (2 * (salary + commission)) / 3 - 5000 * elevel - loan / 5 - 10_000 > 0;
    case 10: {
      const equity = hyears >= 20 ? 0.1 * hvalue * (hyears - 20) : 0;
      return (2 * (salary + commission)) / 3 - 5000 * elevel + equity / 5 - 10_000 > 0;
    }
  }
}

/** An endless, reproducible stream of labelled applicants. */
export function* agrawal(opts: AgrawalOptions): Generator<LabelledApplicant> {
  const rnd = seededRandom(opts.seed);
  const uniform = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  for (;;) {
    const salary = uniform(20_000, 150_000) * (opts.salaryScale ?? 1);
    const commission = salary >= 75_000 ? 0 : uniform(10_000, 75_000);
    const age = Math.min(90, Math.max(18, int(20, 80) + (opts.ageShift ?? 0)));
    const zipcode = int(0, 8);
    const a: Applicant = {
      salary,
      commission,
      age,
      elevel: int(0, 4),
      car: int(1, 20),
      zipcode,
      hvalue: (9 - zipcode) * 100_000 * uniform(0.5, 1.5),
      hyears: int(1, 30),
      loan: uniform(0, 500_000),
    };
    let label = groupA(a, opts.fn);
    if (opts.labelNoise && rnd() < opts.labelNoise) label = !label;
    yield { ...a, approved: label ? 1 : 0 };
  }
}

/** The first `n` applicants of a stream. */
export function sample(opts: AgrawalOptions, n: number): LabelledApplicant[] {
  const out: LabelledApplicant[] = [];
  for (const a of agrawal(opts)) {
    if (out.length >= n) break;
    out.push(a);
  }
  return out;
}
