/**
 * The two LibVQ losses over a score matrix S (B x N, raw scores), with temperature tau: logits z = S / tau.
 * Both return the mean over the B rows and write dL/dS (the 1/tau and 1/B included) into `grad`.
 */

/** log-sum-exp of z[o .. o+N) / tau, and the softmax into p[o ..], stable (max subtracted). */
function softmaxRow(s: ArrayLike<number>, o: number, N: number, tau: number, p: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < N; j++) {
    const z = s[o + j] / tau;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let j = 0; j < N; j++) {
    const e = Math.exp(s[o + j] / tau - max);
    p[o + j] = e;
    sum += e;
  }
  for (let j = 0; j < N; j++) p[o + j] /= sum;
  return max + Math.log(sum);
}

/**
 * `contras`: cross-entropy of each row against its own positive column (LibVQ's F.cross_entropy with labels
 * arange(B)): L = mean_i [ logsumexp_j z_ij - z_i,pos(i) ];  dL/dS_ij = (softmax(z_i)_j - [j = pos(i)]) / (tau B).
 */
export function contrasLoss(
  S: Float64Array,
  B: number,
  N: number,
  positives: Int32Array,
  tau: number,
  grad: Float64Array,
): number {
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const o = i * N;
    const lse = softmaxRow(S, o, N, tau, grad);
    const pos = positives[i];
    loss += lse - S[o + pos] / tau;
    grad[o + pos] -= 1;
    for (let j = 0; j < N; j++) grad[o + j] /= tau * B;
  }
  return loss / B;
}

/**
 * `distill`: cross-entropy of the student's softmax against the teacher's, L = mean_i [ -sum_j t_ij log p_ij ]
 * with t = softmax(T / tau), p = softmax(S / tau). dL/dS_ij = (p_ij - t_ij) / (tau B), the same gradient as
 * KL(t || p). LibVQ adds 1e-6 to p before the log; we use the exact log-softmax (lse - z), which cannot blow up.
 */
export function distillLoss(
  S: Float64Array,
  T: Float64Array,
  B: number,
  N: number,
  tau: number,
  grad: Float64Array,
  teacherProb: Float64Array,
): number {
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const o = i * N;
    softmaxRow(T, o, N, tau, teacherProb);
    const lse = softmaxRow(S, o, N, tau, grad);
    for (let j = 0; j < N; j++) {
      const t = teacherProb[o + j];
      loss += t * (lse - S[o + j] / tau);
      grad[o + j] = (grad[o + j] - t) / (tau * B);
    }
  }
  return loss / B;
}
