import { quoted } from './quoted.js';

/**
 * Grades are stored as Int32 (the rels table's `grade` column, architecture.md), so the accepted range is int32's:
 * a wider value would wrap silently (2147483648 became -2147483648). Negative grades are kept: TREC qrels use
 * them (-2 for spam in the ClueWeb judgments), and they count as not relevant.
 */
export const GRADE_MIN = -2147483648;
export const GRADE_MAX = 2147483647;

const INT = /^[+-]?\d+$/;

/** The grade written in a rels column, or why it is not one ("grade ... in column N ..."). */
export function parseGrade(text: string, column: number): { grade: number } | { problem: string } {
  const t = text.trim();
  if (!INT.test(t)) return { problem: `grade ${quoted(text)} in column ${column} is not an integer` };
  const grade = Number(t);
  if (grade < GRADE_MIN || grade > GRADE_MAX) {
    return { problem: `grade ${quoted(text)} in column ${column} is out of range: expected an integer from ${GRADE_MIN} to ${GRADE_MAX} (int32)` };
  }
  // `| 0` is exact in range and turns "-0" into 0.
  return { grade: grade | 0 };
}

/** Whether a grade fits the rels table's Int32 column. */
export function isGrade(value: number): boolean {
  return Number.isInteger(value) && value >= GRADE_MIN && value <= GRADE_MAX;
}
