/**
 * GELU(u) = u Φ(u) = 0.5 u (1 + erf(u / √2)), BERT's exact form, and its derivative Φ(u) + u φ(u).
 * erf to double precision here: the finite-difference checks of the gradients run in float64 and need the
 * function whose derivative is φ. For |x| < 2.5 the Maclaurin series; beyond, erfc by its continued fraction
 * (Lentz's method), both to ~1e-15.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) <= 1e-16 * Math.abs(sum)) break;
    }
    return Math.sign(x) * 1.1283791670955126 * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x²)/√π · 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), evaluated forward (Lentz).
  const tiny = 1e-300;
  let f = ax;
  let C = ax;
  let D = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    D = ax + a * D;
    D = Math.abs(D) < tiny ? tiny : D;
    C = ax + a / C;
    C = Math.abs(C) < tiny ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / (1.7724538509055159 * f));
}

/**
 * erf to ~1.2e-7 (Numerical Recipes' erfc Chebyshev fit, one exp): the float32 path, where the series would
 * cost as much as the layer's matrix products.
 */
export function erfFast(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;

/** out[i] = GELU(u[i]) = u Φ(u), keeping Φ(u) in cdf[i] for the backward; `exact` picks the double-precision erf. */
export function geluForward(u: ArrayLike<number>, out: { [i: number]: number; length: number }, cdf: { [i: number]: number; length: number }, exact: boolean): void {
  const e = exact ? erf : erfFast;
  for (let i = 0; i < out.length; i++) {
    const x = u[i];
    const c = 0.5 * (1 + e(x * INV_SQRT2));
    cdf[i] = c;
    out[i] = x * c;
  }
}

/** du[i] = dOut[i] · GELU'(u[i]) = dOut[i] (Φ(u) + u φ(u)), with Φ(u) from the forward. */
export function geluBackward(u: ArrayLike<number>, cdf: ArrayLike<number>, dOut: ArrayLike<number>, du: { [i: number]: number; length: number }): void {
  for (let i = 0; i < du.length; i++) {
    const x = u[i];
    du[i] = dOut[i] * (cdf[i] + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
  }
}
