/** One named check of a backend: `run()` returns when the backend conforms and throws an Error naming what differs. */
export interface ConformanceCase {
  readonly name: string;
  run(): void;
}

export interface ConformanceOptions {
  /**
   * Relative tolerance on scores (absolute below 1), default 1e-4: float32 inputs summed in float32 over
   * d ≤ 64 terms stay within ~1e-5 of the float64 reference, so 1e-4 holds for float32 and float64 backends.
   */
  relTol?: number;
}

/** What checkBackend found: how many cases passed, and each failure's case name and message. */
export interface ConformanceReport {
  passed: number;
  failures: { name: string; message: string }[];
}
